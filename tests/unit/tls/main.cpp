// The doctest runner for the TLS unit tests (a separate executable: they link BoringSSL).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

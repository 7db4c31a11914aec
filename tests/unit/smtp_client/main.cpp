// The doctest runner for the smtp client unit tests (their own executable: smtp links BoringSSL).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

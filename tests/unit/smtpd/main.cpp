// The doctest runner for the smtpd unit tests (their own executable: smtpd links BoringSSL).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

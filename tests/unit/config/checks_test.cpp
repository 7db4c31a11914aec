// Tests for common/config/checks.h: enumerations, reply codes and socket-address lists.
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "common/config/checks.h"

namespace tern::config {
namespace {

struct Case {
  std::string_view name;
  std::string_view input;
  std::string_view want;  // "" when the value is fine
};

void run(const Case* begin, const Case* end, Check check) {
  for (const Case* c = begin; c != end; ++c) {
    INFO(c->name, ": \"", c->input, "\"");
    CHECK(check(c->input) == c->want);
  }
}

TEST_SUITE("config.checks") {
  TEST_CASE("check_log_level") {
    const char* kWant = "want debug, info, warning or error";
    const Case cases[] = {
        {"debug", "debug", ""}, {"info", "info", ""},         {"warning", "warning", ""},
        {"error", "error", ""}, {"empty", "", kWant},         {"upper case", "INFO", kWant},
        {"verbose", "verbose", kWant}, {"warn", "warn", kWant},
    };
    run(std::begin(cases), std::end(cases), check_log_level);
  }

  TEST_CASE("check_smtpd_tls_level: none, may, encrypt or empty") {
    const char* kWant = "want none, may or encrypt";
    const Case cases[] = {
        {"empty", "", ""},          {"none", "none", ""},     {"may", "may", ""},
        {"encrypt", "encrypt", ""}, {"dane", "dane", kWant},  {"verify", "verify", kWant},
        {"upper", "MAY", kWant},    {"typo", "encrpyt", kWant},
    };
    run(std::begin(cases), std::end(cases), check_smtpd_tls_level);
  }

  TEST_CASE("check_reply_code: a 4xx or 5xx code") {
    const char* kWant = "want a 4xx or 5xx SMTP reply code";
    const Case cases[] = {
        {"450", "450", ""},     {"554", "554", ""},   {"250", "250", kWant}, {"600", "600", kWant},
        {"short", "55", kWant}, {"empty", "", kWant}, {"text", "5x0", kWant}, {"long", "5500", kWant},
    };
    run(std::begin(cases), std::end(cases), check_reply_code);
  }

  TEST_CASE("check_smtp_tls_level: also dane, verify, secure") {
    const char* kWant = "want none, may, encrypt, dane, verify or secure";
    const Case cases[] = {
        {"empty", "", ""},        {"none", "none", ""},       {"may", "may", ""},
        {"encrypt", "encrypt", ""}, {"dane", "dane", ""},     {"verify", "verify", ""},
        {"secure", "secure", ""}, {"dane-only", "dane-only", kWant},
        {"fingerprint", "fingerprint", kWant}, {"required", "required", kWant},
    };
    run(std::begin(cases), std::end(cases), check_smtp_tls_level);
  }

  TEST_CASE("check_listen: address:port items, IPv6 in brackets, port 1..65535") {
    const Case cases[] = {
        {"empty disables", "", ""},
        {"IPv4", "0.0.0.0:25", ""},
        {"IPv6", "[::]:25", ""},
        {"IPv6 loopback", "[::1]:2525", ""},
        {"both", "0.0.0.0:25 [::]:25", ""},
        {"comma list", "127.0.0.1:25, [::1]:25", ""},
        {"highest port", "127.0.0.1:65535", ""},
        {"no port", "0.0.0.0", "\"0.0.0.0\" is not address:port (IPv6 as [::1]:25)"},
        {"empty port", "0.0.0.0:", "\"0.0.0.0:\": port must be 1 to 65535"},
        {"port zero", "0.0.0.0:0", "\"0.0.0.0:0\": port must be 1 to 65535"},
        {"port too high", "[::1]:65536", "\"[::1]:65536\": port must be 1 to 65535"},
        {"port not a number", "0.0.0.0:smtp", "\"0.0.0.0:smtp\": port must be 1 to 65535"},
        {"negative port", "0.0.0.0:-25", "\"0.0.0.0:-25\": port must be 1 to 65535"},
        {"host name", "localhost:25", "\"localhost:25\" is not address:port (IPv6 as [::1]:25)"},
        {"port only", ":25", "\":25\" is not address:port (IPv6 as [::1]:25)"},
        {"IPv6 without brackets", "::1:25", "\"::1:25\" is not address:port (IPv6 as [::1]:25)"},
        {"IPv6 without port", "[::1]", "\"[::1]\" is not address:port (IPv6 as [::1]:25)"},
        {"IPv4 in brackets", "[127.0.0.1]:25",
         "\"[127.0.0.1]:25\" is not address:port (IPv6 as [::1]:25)"},
        {"bad IPv4", "256.0.0.1:25", "\"256.0.0.1:25\" is not address:port (IPv6 as [::1]:25)"},
        {"second item bad", "0.0.0.0:25, 0.0.0.0:x", "\"0.0.0.0:x\": port must be 1 to 65535"},
    };
    run(std::begin(cases), std::end(cases), check_listen);
  }

  TEST_CASE("check_nameservers: IP addresses with optional ports") {
    const Case cases[] = {
        {"empty uses resolv.conf", "", ""},
        {"IPv4", "192.0.2.53", ""},
        {"IPv4 with port", "127.0.0.1:5353", ""},
        {"IPv6", "::1", ""},
        {"IPv6 with port", "[::1]:5353", ""},
        {"list", "192.0.2.53, 2001:db8::53 [::1]:53", ""},
        {"host name", "ns.example", "\"ns.example\" is not an IP address with an optional port"},
        {"port zero", "127.0.0.1:0", "\"127.0.0.1:0\": port must be 1 to 65535"},
    };
    run(std::begin(cases), std::end(cases), check_nameservers);
  }
}

}  // namespace
}  // namespace tern::config

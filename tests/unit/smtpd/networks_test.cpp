// smtpd.networks: mynetworks CIDR parsing and matching.
#include <doctest/doctest.h>

#include "smtpd/networks.h"

namespace tern::smtpd {
namespace {

TEST_SUITE("smtpd.networks") {
  TEST_CASE("contains") {
    auto n = Networks::parse({"127.0.0.0/8", "[::1]/128", "192.0.2.7", "2001:db8::/32", "10.1.0.0/17"});
    REQUIRE(n.has_value());
    struct Row { const char* address; bool in; };
    const Row rows[] = {{"127.0.0.1", true},   {"127.255.1.1", true}, {"128.0.0.1", false},
                        {"::1", true},         {"::2", false},        {"192.0.2.7", true},
                        {"192.0.2.8", false},  {"2001:db8:1::5", true}, {"2001:db9::1", false},
                        {"::ffff:127.0.0.1", true}, {"10.1.127.255", true}, {"10.1.128.0", false},
                        {"garbage", false},    {"", false}};
    for (const Row& row : rows) {
      INFO(row.address);
      CHECK(n->contains(row.address) == row.in);
    }
  }

  TEST_CASE("bad entries") {
    for (const char* bad : {"1.2.3.4/33", "::1/129", "example.com", "1.2.3.4/", "1.2.3.4/x", "[1.2.3.4"}) {
      INFO(bad);
      CHECK_FALSE(Networks::parse({bad}).has_value());
    }
  }
}

}  // namespace
}  // namespace tern::smtpd

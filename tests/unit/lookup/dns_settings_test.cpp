// Tests for lookup/dns_settings.h: dns_nameservers items and resolv.conf.
#include <doctest/doctest.h>

#include <string_view>
#include <vector>

#include "lookup/dns_settings.h"

namespace tern::lookup {
namespace {

TEST_SUITE("lookup.dns_settings") {
  TEST_CASE("nameserver items") {
    struct Row {
      std::string_view item;
      bool ok;
      Nameserver want;
    };
    const Row rows[] = {
        {"127.0.0.1", true, {"127.0.0.1", 53}},
        {"127.0.0.1:5353", true, {"127.0.0.1", 5353}},
        {"::1", true, {"::1", 53}},
        {"[::1]:5353", true, {"::1", 5353}},
        {"[::1]", true, {"::1", 53}},
        {"localhost", false, {}},
        {"127.0.0.1:", false, {}},
        {"127.0.0.1:0", false, {}},
        {"127.0.0.1:65536", false, {}},
        {"[::1", false, {}},
        {"[::1]5353", false, {}},
        {"", false, {}},
    };
    for (const auto& r : rows) {
      INFO("item \"", r.item, "\"");
      auto got = parse_nameserver(r.item);
      REQUIRE(got.has_value() == r.ok);
      if (r.ok) CHECK(*got == r.want);
    }
  }

  TEST_CASE("resolv.conf") {
    auto got = parse_resolv_conf(
        "# comment\nsearch example.com\nnameserver 192.0.2.1\nnameserver\tfe80::1%eth0\n"
        "nameserver not-an-ip\nnameserver 192.0.2.2 # trailing\noptions edns0\n");
    CHECK(got == std::vector<Nameserver>{{"192.0.2.1", 53}, {"fe80::1", 53}, {"192.0.2.2", 53}});
    CHECK(parse_resolv_conf("").empty());
  }
}

}  // namespace
}  // namespace tern::lookup

// smtp.address: RFC 5321 path parsing, table-driven.
#include <doctest/doctest.h>

#include <string>

#include "common/smtp/address.h"

namespace tern::smtp {
namespace {

struct Row {
  const char* name;
  const char* input;
  PathKind kind;
  bool utf8;
  bool ok;
  const char* address;     // when ok
  bool routing;            // has_routing_syntax
};

constexpr PathKind F = PathKind::kForward;
constexpr PathKind R = PathKind::kReverse;

const Row kRows[] = {
    {"plain", "<user@example.com>", F, false, true, "user@example.com", false},
    {"null reverse", "<>", R, false, true, "", false},
    {"null forward refused", "<>", F, false, false, "", false},
    {"postmaster alone", "<Postmaster>", F, false, true, "Postmaster", false},
    {"postmaster alone not as sender", "<postmaster>", R, false, false, "", false},
    {"no brackets", "user@example.com", F, false, false, "", false},
    {"missing close", "<user@example.com", F, false, false, "", false},
    {"no domain", "<user>", F, false, false, "", false},
    {"empty local", "<@example.com>", F, false, false, "", false},
    {"double dot", "<a..b@example.com>", F, false, false, "", false},
    {"trailing dot local", "<a.@example.com>", F, false, false, "", false},
    {"quoted local", "<\"john doe\"@example.com>", F, false, true, "\"john doe\"@example.com", false},
    {"quoted with at: routing", "<\"u@remote.example\"@example.com>", F, false, true, "\"u@remote.example\"@example.com", true},
    {"percent hack: routing", "<u%remote.example@example.com>", F, false, true, "u%remote.example@example.com", true},
    {"bang path: routing", "<remote.example!u@example.com>", F, false, true, "remote.example!u@example.com", true},
    {"source route dropped", "<@relay.example,@b.example:u@example.com>", F, false, true, "u@example.com", false},
    {"bad source route", "<@:u@example.com>", F, false, false, "", false},
    {"source route without colon", "<@relay.example,u@example.com>", F, false, false, "", false},
    {"ipv4 literal", "<u@[192.0.2.1]>", F, false, true, "u@[192.0.2.1]", false},
    {"bad ipv4 literal", "<u@[192.0.2.300]>", F, false, false, "", false},
    {"ipv6 literal", "<u@[IPv6:2001:db8::1]>", F, false, true, "u@[IPv6:2001:db8::1]", false},
    {"general literal refused", "<u@[x:y]>", F, false, false, "", false},
    {"label starts with hyphen", "<u@-bad.example>", F, false, false, "", false},
    {"empty label", "<u@a..example>", F, false, false, "", false},
    {"underscore domain", "<u@a_b.example>", F, false, false, "", false},
    {"two ats", "<u@v@example.com>", F, false, false, "", false},
    {"space in local", "<u v@example.com>", F, false, false, "", false},
    {"utf8 without smtputf8", "<j\xc3\xb6rg@example.com>", F, false, false, "", false},
    {"utf8 with smtputf8", "<j\xc3\xb6rg@example.com>", F, true, true, "j\xc3\xb6rg@example.com", false},
    {"bad utf8 with smtputf8", "<j\xc3@example.com>", F, true, false, "", false},
    {"control in quoted", "<\"a\x01\"@example.com>", F, false, false, "", false},
    {"nul", std::string_view("<a\0b@example.com>", 17).data(), F, false, false, "", false},
    {"local part 65 octets",
     "<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.com>", F, false, false, "", false},
};

TEST_SUITE("smtp.address") {
  TEST_CASE("parse_path table") {
    for (const Row& row : kRows) {
      INFO(row.name);
      size_t consumed = 0;
      auto path = parse_path(row.input, row.kind, PathOptions{.allow_utf8 = row.utf8}, &consumed);
      CHECK(path.has_value() == row.ok);
      if (path && row.ok) {
        CHECK(path->mailbox.address() == row.address);
        CHECK(path->mailbox.has_routing_syntax() == row.routing);
        CHECK(consumed == std::string_view(row.input).size());
      }
    }
  }

  TEST_CASE("a '>' inside a quoted local part does not end the path") {
    size_t consumed = 0;
    auto path = parse_path("<\"a>b\"@example.com> SIZE=1", PathKind::kForward, {}, &consumed);
    REQUIRE(path.has_value());
    CHECK(path->mailbox.address() == "\"a>b\"@example.com");
    CHECK(consumed == 19);
  }

  TEST_CASE("literal domains are flagged") {
    size_t consumed = 0;
    auto path = parse_path("<u@[127.0.0.1]>", PathKind::kForward, {}, &consumed);
    REQUIRE(path.has_value());
    CHECK(path->mailbox.address_literal);
    CHECK(path->mailbox.unquoted_local_part() == "u");
  }
}

}  // namespace
}  // namespace tern::smtp

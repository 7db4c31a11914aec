// smtpd.access_table: access(5) search keys and table values; smtpd.hostname_syntax: the HELO
// and address syntax rules and RBL query names.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "smtpd/access_table.h"
#include "smtpd/hostname_syntax.h"

namespace tern::smtpd {
namespace {

using Keys = std::vector<std::string>;

TEST_SUITE("smtpd.access_table") {
  TEST_CASE("client keys: the address, then shorter prefixes") {
    CHECK(client_access_keys("192.0.2.7") == Keys{"192.0.2.7", "192.0.2", "192.0", "192"});
    CHECK(client_access_keys("2001:DB8::1") == Keys{"2001:db8::1", "2001:db8:", "2001:db8", "2001"});
  }

  TEST_CASE("domain keys follow parent_domain_matches_subdomains") {
    CHECK(domain_access_keys("Mail.Sub.Example.COM.", true) == Keys{"mail.sub.example.com", "sub.example.com", "example.com", "com"});
    CHECK(domain_access_keys("mail.sub.example.com", false) ==
          Keys{"mail.sub.example.com", ".sub.example.com", ".example.com", ".com"});
    CHECK(domain_access_keys("[192.0.2.1]", true) == Keys{"[192.0.2.1]"});
    CHECK(domain_access_keys("", true).empty());
  }

  TEST_CASE("address keys: address, without extension, domains, then localpart@") {
    CHECK(address_access_keys("Al+x@B.example", "+", true) ==
          Keys{"al+x@b.example", "al@b.example", "b.example", "example", "al+x@", "al@"});
    CHECK(address_access_keys("al@b.example", "", false) == Keys{"al@b.example", "b.example", ".example", "al@"});
    CHECK(address_access_keys("postmaster", "", true) == Keys{"postmaster", "postmaster@"});
  }

  TEST_CASE("values") {
    struct Row {
      const char* value;
      AccessAction::Kind kind;
      int code;
      const char* enhanced;
      const char* text;
    };
    const Row rows[] = {
        {"OK", AccessAction::kPermit, 0, "", ""},
        {"ok", AccessAction::kPermit, 0, "", ""},
        {"12345", AccessAction::kPermit, 0, "", ""},
        {"550", AccessAction::kPermit, 0, "", ""},  // all-numeric is OK, as in Postfix
        {"DUNNO", AccessAction::kDunno, 0, "", ""},
        {"REJECT", AccessAction::kReject, 0, "", ""},
        {"REJECT go away", AccessAction::kReject, 0, "", "go away"},
        {"reject 5.7.2 go away", AccessAction::kReject, 0, "5.7.2", "go away"},
        {"DEFER  busy ", AccessAction::kDefer, 0, "", "busy"},
        {"550 5.7.0 no thanks", AccessAction::kReject, 550, "5.7.0", "no thanks"},
        {"451 later", AccessAction::kDefer, 451, "", "later"},
        {"451 5.7.1 mismatch", AccessAction::kDefer, 451, "", "5.7.1 mismatch"},  // class must match
        {"WARN look at this", AccessAction::kWarn, 0, "", "look at this"},
        {"HOLD", AccessAction::kUnsupported, 0, "", "HOLD"},
        {"DISCARD spam", AccessAction::kUnsupported, 0, "", "DISCARD spam"},
    };
    for (const Row& row : rows) {
      INFO(row.value);
      AccessAction a = parse_access_value(row.value);
      CHECK(a.kind == row.kind);
      CHECK(a.code == row.code);
      CHECK(a.enhanced == row.enhanced);
      CHECK(a.text == row.text);
    }
    AccessAction list = parse_access_value("permit_mynetworks, Reject");
    CHECK(list.kind == AccessAction::kRestrictions);
    CHECK(list.restrictions == Keys{"permit_mynetworks", "reject"});
  }
}

TEST_SUITE("smtpd.hostname_syntax") {
  TEST_CASE("host names") {
    for (const char* good : {"mail.example.com", "mail.example.com.", "a_b.example", "x", "a-1.b"}) {
      INFO(good);
      CHECK(valid_hostname(good));
    }
    for (const char* bad : {"", "-a.example", "a-.example", "a..b", "a b", "192.0.2.1", "exa!mple.com",
                            ".example.com"}) {
      INFO(bad);
      CHECK_FALSE(valid_hostname(bad));
    }
    CHECK(is_fqdn("mail.example.com"));
    CHECK(is_fqdn("mail.example.com."));
    CHECK_FALSE(is_fqdn("localhost"));
    CHECK_FALSE(is_fqdn("localhost."));
  }

  TEST_CASE("address literals") {
    CHECK(valid_address_literal("[192.0.2.1]"));
    CHECK(valid_address_literal("[IPv6:2001:db8::1]"));
    CHECK_FALSE(valid_address_literal("[2001:db8::1]"));
    CHECK_FALSE(valid_address_literal("[192.0.2.300]"));
    CHECK_FALSE(valid_address_literal("192.0.2.1"));
    CHECK(valid_ip_address("192.0.2.1"));
    CHECK(valid_ip_address("::1"));
  }

  TEST_CASE("rbl query names") {
    CHECK(rbl_query_name("192.0.2.1", "zen.example") == "1.2.0.192.zen.example");
    CHECK(rbl_query_name("2001:db8::1", "bl.example.") ==
          "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.example");
    CHECK_FALSE(rbl_query_name("", "zen.example").has_value());
  }
}

}  // namespace
}  // namespace tern::smtpd

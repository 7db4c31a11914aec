// smtpd.restrictions: relay control with a fake resolver -- the open-relay battery.
#include <doctest/doctest.h>

#include <string>

#include "common/smtp/address.h"
#include "smtpd/restrictions.h"

namespace tern::smtpd {
namespace {

using Class = proto::Resolution::Class;
using proto::Resolution;

// What lookup would say: example.com is ours (user "known" exists), everything else relays.
Class fake_resolve(const smtp::Mailbox& box) {
  if (box.domain == "example.com") return box.unquoted_local_part() == "known" ? Resolution::LOCAL : Resolution::UNKNOWN;
  if (box.domain == "[192.0.2.1]") return Resolution::RELAY;
  return Resolution::RELAY;
}

Verdict verdict_for(const char* path, bool mynetworks, bool authenticated) {
  size_t consumed = 0;
  auto parsed = smtp::parse_path(path, smtp::PathKind::kForward, {}, &consumed);
  REQUIRE(parsed.has_value());
  RecipientFacts f;
  f.recipient = parsed->mailbox.address();
  f.client_in_mynetworks = mynetworks;
  f.sasl_authenticated = authenticated;
  f.lookup_ok = true;
  f.klass = fake_resolve(parsed->mailbox);
  f.routing_syntax = parsed->mailbox.has_routing_syntax();
  f.address_literal = parsed->mailbox.address_literal;
  RestrictionLists lists{{"permit_mynetworks", "permit_sasl_authenticated", "defer_unauth_destination"},
                         {"permit_mynetworks", "permit_sasl_authenticated", "reject_unauth_destination"},
                         true};
  return evaluate_recipient(lists, f);
}

TEST_SUITE("smtpd.restrictions") {
  TEST_CASE("open-relay battery from an outside client") {
    const char* relay_attempts[] = {
        "<victim@remote.example>",
        "<victim%remote.example@example.com>",
        "<remote.example!victim@example.com>",
        "<\"victim@remote.example\"@example.com>",
        "<\"victim%remote.example\"@example.com>",
        "<@example.com:victim@remote.example>",
        "<victim@[192.0.2.1]>",
        "<VICTIM@Remote.Example>",
        "<known%remote.example@example.com>",
    };
    for (const char* path : relay_attempts) {
      INFO(path);
      Verdict v = verdict_for(path, false, false);
      CHECK_FALSE(v.accept);
      CHECK(v.code == 454);  // smtpd_relay_restrictions (defer_unauth_destination) decides first
      CHECK((v.text.find("Relay access denied") != std::string::npos));
    }
  }

  TEST_CASE("ours, unknown, trusted") {
    CHECK(verdict_for("<known@example.com>", false, false).accept);
    Verdict unknown = verdict_for("<nobody@example.com>", false, false);
    CHECK(unknown.code == 550);
    CHECK(unknown.enhanced == "5.1.1");
    CHECK(unknown.text == "<nobody@example.com>: Recipient address rejected: User unknown in local recipient table");
    CHECK(verdict_for("<victim@remote.example>", true, false).accept);
    CHECK(verdict_for("<victim@remote.example>", false, true).accept);
  }

  TEST_CASE("lookup failure is temporary") {
    RecipientFacts f;
    f.recipient = "a@example.com";
    f.lookup_ok = false;
    RestrictionLists lists{{}, {"reject_unauth_destination"}, true};
    Verdict v = evaluate_recipient(lists, f);
    CHECK(v.code == 451);
    CHECK(v.enhanced == "4.3.0");
    f.lookup_ok = true;
    f.klass = Resolution::ERROR;
    CHECK(evaluate_recipient(lists, f).code == 451);
  }

  TEST_CASE("list vocabulary") {
    RecipientFacts f;
    f.recipient = "x@remote.example";
    f.lookup_ok = true;
    f.klass = Resolution::RELAY;
    struct Row { const char* name; RestrictionLists lists; int code; };
    const Row rows[] = {
        {"reject", {{}, {"reject"}, true}, 554},
        {"defer", {{}, {"defer"}, true}, 450},
        {"permit first", {{}, {"permit", "reject"}, true}, 250},
        {"dunno continues", {{}, {"dunno", "reject"}, true}, 554},
        {"defer_unauth_destination", {{"defer_unauth_destination"}, {}, true}, 454},
        {"unknown name", {{}, {"check_bogus"}, true}, 451},
        {"relay reject wins over recipient permit", {{"reject_unauth_destination"}, {"permit"}, true}, 554},
    };
    for (const Row& row : rows) {
      INFO(row.name);
      CHECK(evaluate_recipient(row.lists, f).code == row.code);
    }
  }

  TEST_CASE("virtual mailbox wording") {
    RecipientFacts f;
    f.recipient = "x@virt.example";
    f.lookup_ok = true;
    f.klass = Resolution::UNKNOWN;
    f.virtual_domain = true;
    RestrictionLists lists{{}, {"reject_unlisted_recipient"}, true};
    CHECK(evaluate_recipient(lists, f).text.find("virtual mailbox table") != std::string::npos);
  }
}

}  // namespace
}  // namespace tern::smtpd

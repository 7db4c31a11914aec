// smtpd.restrictions: relay control with a fake resolver -- the open-relay battery.
#include <doctest/doctest.h>

#include <string>
#include <vector>

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

RestrictionList parsed(std::vector<std::string> items) {
  std::vector<std::string> problems;
  return parse_restriction_list(items, "test", &problems);
}

RestrictionLists lists_of(std::vector<std::string> relay, std::vector<std::string> recipient) {
  RestrictionLists lists;
  lists.relay = parsed(std::move(relay));
  lists.recipient = parsed(std::move(recipient));
  return lists;
}

// RCPT with smtpd_delay_reject = no: relay, then recipient; no look-ups asked.
Verdict evaluate_recipient(const RestrictionLists& lists, const RecipientFacts& recipient, bool mynetworks = false,
                           bool authenticated = false) {
  static constexpr Stage kStages[] = {Stage::kRelay, Stage::kRecipient};
  CheckFacts facts;
  facts.client_address = "192.0.2.9";
  facts.client_name = "unknown[192.0.2.9]";
  facts.client_in_mynetworks = mynetworks;
  facts.sasl_authenticated = authenticated;
  facts.recipient = &recipient;
  Evaluation e = evaluate(kStages, lists, facts, {});
  REQUIRE_FALSE(e.need.has_value());
  return e.verdict;
}

Verdict verdict_for(const char* path, bool mynetworks, bool authenticated) {
  size_t consumed = 0;
  auto parsed = smtp::parse_path(path, smtp::PathKind::kForward, {}, &consumed);
  REQUIRE(parsed.has_value());
  RecipientFacts f;
  f.recipient = parsed->mailbox.address();
  f.lookup_ok = true;
  f.klass = fake_resolve(parsed->mailbox);
  f.routing_syntax = parsed->mailbox.has_routing_syntax();
  f.address_literal = parsed->mailbox.address_literal;
  RestrictionLists lists = lists_of({"permit_mynetworks", "permit_sasl_authenticated", "defer_unauth_destination"},
                                    {"permit_mynetworks", "permit_sasl_authenticated", "reject_unauth_destination"});
  return evaluate_recipient(lists, f, mynetworks, authenticated);
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
    RestrictionLists lists = lists_of({}, {"reject_unauth_destination"});
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
        {"reject", lists_of({}, {"reject"}), 554},
        {"defer", lists_of({}, {"defer"}), 450},
        {"permit first", lists_of({}, {"permit", "reject"}), 250},
        {"dunno continues", lists_of({}, {"dunno", "reject"}), 554},
        {"defer_unauth_destination", lists_of({"defer_unauth_destination"}, {}), 454},
        {"unknown name", lists_of({}, {"check_bogus"}), 451},
        {"relay reject wins over recipient permit", lists_of({"reject_unauth_destination"}, {"permit"}), 554},
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
    RestrictionLists lists = lists_of({}, {"reject_unlisted_recipient"});
    CHECK(evaluate_recipient(lists, f).text.find("virtual mailbox table") != std::string::npos);
  }
}

}  // namespace
}  // namespace tern::smtpd

// smtpd.restriction_stages: the client, HELO, sender and data lists, access tables and the
// DNS checks, with the look-ups answered by a fake (what lookup would say) and recorded.
#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

#include "smtpd/restrictions.h"

namespace tern::smtpd {
namespace {

using Answer = std::function<LookupAnswer(const proto::LookupRequest&)>;

LookupAnswer found(std::string value) {
  LookupAnswer a;
  a.ok = true;
  a.reply.set_found(true);
  a.reply.add_values(std::move(value));
  return a;
}

LookupAnswer dns(proto::DnsStatus status, std::vector<std::string> addresses = {}) {
  LookupAnswer a;
  a.ok = true;
  a.reply.set_status(status);
  if (!addresses.empty()) {
    proto::MxHost* h = a.reply.add_hosts();
    for (auto& x : addresses) h->add_addresses(x);
  }
  return a;
}

LookupAnswer nothing() {
  LookupAnswer a;
  a.ok = true;
  return a;
}

// The access table the tests use, as lookup would answer it: first key found wins.
LookupAnswer access_table(const proto::TableQuery& q) {
  static const std::vector<std::pair<std::string, std::string>> kTable = {
      {"192.0.2.66", "REJECT"},          {"198.51.100", "550 5.7.0 Your network is not welcome"},
      {"spam.example", "REJECT Go away"}, {"later.example", "DEFER"},
      {"friend@", "OK"},                 {"<>", "451 4.7.1 No bounces now"},
      {"warn.example", "WARN watch it"},  {"trusted.example", "permit_mynetworks, reject"},
      {"hold.example", "HOLD"},          {"bad.helo", "REJECT"},
  };
  std::vector<std::string> keys = {q.key()};
  keys.insert(keys.end(), q.keys().begin(), q.keys().end());
  for (const auto& key : keys) {
    for (const auto& [k, v] : kTable) {
      if (k == key) return found(v);
    }
  }
  return nothing();
}

struct Run {
  Evaluation result;
  std::vector<std::string> asked;  // the LookupNeed keys, in order
};

Run run(std::vector<Stage> stages, const RestrictionLists& lists, const CheckFacts& facts, const Answer& answer) {
  Run r;
  LookupAnswers answers;
  for (int i = 0; i < 20; ++i) {
    r.result = evaluate(stages, lists, facts, answers);
    if (!r.result.need) return r;
    r.asked.push_back(r.result.need->key);
    answers[r.result.need->key] = answer(r.result.need->request);
  }
  FAIL("the evaluator keeps asking");
  return r;
}

LookupAnswer default_answer(const proto::LookupRequest& req) {
  if (req.has_table()) return access_table(req.table());
  if (req.has_mx()) {
    const std::string& d = req.mx().domain();
    if (d == "nx.example") return dns(proto::DNS_NOTFOUND);
    if (d == "null.example") return dns(proto::DNS_NULLMX);
    if (d == "slow.example") return dns(proto::DNS_TEMPFAIL);
    return dns(proto::DNS_OK, {"192.0.2.25"});
  }
  if (req.has_address()) {
    const std::string& h = req.address().host();
    if (h == "66.2.0.192.bl.example") return dns(proto::DNS_OK, {"127.0.0.2"});
    if (h == "66.2.0.192.other.example") return dns(proto::DNS_OK, {"127.0.0.4"});
    return dns(proto::DNS_NOTFOUND);
  }
  if (req.has_resolve()) {
    LookupAnswer a = nothing();
    proto::Resolution* r = a.reply.add_resolutions();
    bool ours = req.resolve().address().ends_with("@tern.test");
    r->set_klass(ours ? proto::Resolution::LOCAL : proto::Resolution::RELAY);
    return a;
  }
  return LookupAnswer{};
}

RestrictionLists lists_with(Stage stage, std::vector<std::string> items) {
  RestrictionLists lists;
  std::vector<std::string> problems;
  RestrictionList parsed = parse_restriction_list(items, stage_parameter(stage), &problems);
  switch (stage) {
    case Stage::kClient: lists.client = parsed; break;
    case Stage::kHelo: lists.helo = parsed; break;
    case Stage::kSender: lists.sender = parsed; break;
    case Stage::kRelay: lists.relay = parsed; break;
    case Stage::kRecipient: lists.recipient = parsed; break;
    case Stage::kData: lists.data = parsed; break;
  }
  return lists;
}

CheckFacts client(const char* address) {
  CheckFacts f;
  f.client_address = address;
  f.client_name = std::string("unknown[") + address + "]";
  return f;
}

struct Row {
  const char* name;
  Stage stage;
  std::vector<std::string> list;
  const char* address;
  const char* helo;    // nullptr: none
  const char* sender;  // nullptr: none
  int code;            // 250: accepted
  const char* enhanced;
  const char* text;
};

void check_rows(const std::vector<Row>& rows) {
  for (const Row& row : rows) {
    INFO(row.name);
    CheckFacts f = client(row.address);
    if (row.helo) f.helo = row.helo;
    if (row.sender) f.sender = row.sender;
    Run r = run({row.stage}, lists_with(row.stage, row.list), f, default_answer);
    CHECK(r.result.verdict.code == row.code);
    CHECK(r.result.verdict.accept == (row.code == 250));
    if (row.code != 250) {
      CHECK(r.result.verdict.enhanced == row.enhanced);
      CHECK(r.result.verdict.text == row.text);
    }
  }
}

TEST_SUITE("smtpd.restriction_stages") {
  TEST_CASE("generic names and the HELO checks") {
    check_rows({
        {"empty list permits", Stage::kClient, {}, "192.0.2.1", nullptr, nullptr, 250, "", ""},
        {"client reject", Stage::kClient, {"reject"}, "192.0.2.1", nullptr, nullptr, 554, "5.7.1",
         "<unknown[192.0.2.1]>: Client host rejected: Access denied"},
        {"helo defer", Stage::kHelo, {"defer"}, "192.0.2.1", "a.example", nullptr, 450, "4.7.1",
         "<a.example>: Helo command rejected: Try again later"},
        {"permit ends the list", Stage::kClient, {"permit", "reject"}, "192.0.2.1", nullptr, nullptr, 250, "", ""},
        {"invalid helo", Stage::kHelo, {"reject_invalid_helo_hostname"}, "192.0.2.1", "bad!name", nullptr, 501,
         "5.5.2", "<bad!name>: Helo command rejected: Invalid name"},
        {"invalid helo literal", Stage::kHelo, {"reject_invalid_helo_hostname"}, "192.0.2.1", "[300.1.1.1]", nullptr,
         501, "5.5.2", "<[300.1.1.1]>: Helo command rejected: Invalid ip address"},
        {"valid helo", Stage::kHelo, {"reject_invalid_helo_hostname"}, "192.0.2.1", "localhost", nullptr, 250, "", ""},
        {"non-fqdn helo", Stage::kHelo, {"reject_non_fqdn_helo_hostname"}, "192.0.2.1", "localhost", nullptr, 504,
         "5.5.2", "<localhost>: Helo command rejected: need fully-qualified hostname"},
        {"fqdn helo", Stage::kHelo, {"reject_non_fqdn_helo_hostname"}, "192.0.2.1", "mx.example.", nullptr, 250, "",
         ""},
        {"literal helo is fine", Stage::kHelo, {"reject_non_fqdn_helo_hostname"}, "192.0.2.1", "[192.0.2.1]", nullptr,
         250, "", ""},
        {"no helo yet: nothing to check", Stage::kHelo, {"reject_non_fqdn_helo_hostname"}, "192.0.2.1", nullptr,
         nullptr, 250, "", ""},
        {"non-fqdn sender", Stage::kSender, {"reject_non_fqdn_sender"}, "192.0.2.1", nullptr, "al@localhost", 504,
         "5.5.2", "<al@localhost>: Sender address rejected: need fully-qualified address"},
        {"null sender is fine", Stage::kSender, {"reject_non_fqdn_sender"}, "192.0.2.1", nullptr, "", 250, "", ""},
        {"unknown name", Stage::kSender, {"reject_bogus_thing"}, "192.0.2.1", nullptr, "a@b.example", 451, "4.3.5",
         "Server configuration error"},
    });
  }

  TEST_CASE("access tables") {
    check_rows({
        {"client address", Stage::kClient, {"check_client_access", "t"}, "192.0.2.66", nullptr, nullptr, 554, "5.7.1",
         "<unknown[192.0.2.66]>: Client host rejected: Access denied"},
        {"client network with code and text", Stage::kClient, {"check_client_access", "t"}, "198.51.100.7", nullptr,
         nullptr, 550, "5.7.0", "<unknown[198.51.100.7]>: Client host rejected: Your network is not welcome"},
        {"client not listed", Stage::kClient, {"check_client_access", "t", "reject"}, "192.0.2.1", nullptr, nullptr,
         554, "5.7.1", "<unknown[192.0.2.1]>: Client host rejected: Access denied"},
        {"sender parent domain", Stage::kSender, {"check_sender_access", "t"}, "192.0.2.1", nullptr,
         "x@mx.spam.example", 554, "5.7.1", "<x@mx.spam.example>: Sender address rejected: Go away"},
        {"sender defer", Stage::kSender, {"check_sender_access", "t"}, "192.0.2.1", nullptr, "x@later.example", 450,
         "4.7.1", "<x@later.example>: Sender address rejected: Access denied"},
        {"OK permits this list", Stage::kSender, {"check_sender_access", "t", "reject"}, "192.0.2.1", nullptr,
         "friend@anywhere.example", 250, "", ""},
        {"null sender key", Stage::kSender, {"check_sender_access", "t"}, "192.0.2.1", nullptr, "", 451, "4.7.1",
         "<>: Sender address rejected: No bounces now"},
        {"restrictions in a value", Stage::kSender, {"check_sender_access", "t"}, "192.0.2.1", nullptr,
         "a@trusted.example", 554, "5.7.1", "<a@trusted.example>: Sender address rejected: Access denied"},
        {"unsupported action", Stage::kSender, {"check_sender_access", "t"}, "192.0.2.1", nullptr, "a@hold.example",
         451, "4.3.5", "Server configuration error"},
        {"helo access", Stage::kHelo, {"check_helo_access", "t"}, "192.0.2.1", "bad.helo", nullptr, 554, "5.7.1",
         "<bad.helo>: Helo command rejected: Access denied"},
        {"no sender yet", Stage::kClient, {"check_sender_access", "t"}, "192.0.2.1", nullptr, nullptr, 250, "", ""},
    });
  }

  TEST_CASE("the table query names the list's parameter and the table, with every key") {
    CheckFacts f = client("192.0.2.1");
    f.sender = "a@b.example";
    proto::LookupRequest seen;
    auto answer = [&](const proto::LookupRequest& req) {
      seen = req;
      return nothing();
    };
    Run r = run({Stage::kRecipient}, lists_with(Stage::kRecipient, {"check_sender_access", "hash:/etc/tern/senders"}),
                f, answer);
    CHECK(r.result.verdict.accept);
    CHECK(seen.table().parameter() == "smtpd_recipient_restrictions");
    CHECK(seen.table().table() == "hash:/etc/tern/senders");
    CHECK(seen.table().key() == "a@b.example");
    CHECK(seen.table().keys_size() == 3);  // b.example, example, a@
  }

  TEST_CASE("a table look-up that fails is a temporary failure; a refused one a configuration error") {
    CheckFacts f = client("192.0.2.1");
    auto unreachable = [](const proto::LookupRequest&) { return LookupAnswer{}; };
    Run r = run({Stage::kClient}, lists_with(Stage::kClient, {"check_client_access", "t"}), f, unreachable);
    CHECK(r.result.verdict.code == 451);
    CHECK(r.result.verdict.text == "<unknown[192.0.2.1]>: Temporary lookup failure");
    auto refused = [](const proto::LookupRequest&) { return dns(proto::DNS_PERMFAIL); };
    r = run({Stage::kClient}, lists_with(Stage::kClient, {"check_client_access", "t"}), f, refused);
    CHECK(r.result.verdict.enhanced == "4.3.5");
    CHECK(r.result.warnings.size() == 1);
  }

  TEST_CASE("WARN logs and goes on") {
    CheckFacts f = client("192.0.2.1");
    f.sender = "a@warn.example";
    Run r = run({Stage::kSender}, lists_with(Stage::kSender, {"check_sender_access", "t"}), f, default_answer);
    CHECK(r.result.verdict.accept);
    REQUIRE(r.result.notes.size() == 1);
    CHECK(r.result.notes[0] == "<a@warn.example>: Sender address triggers WARN action: watch it");
  }

  TEST_CASE("reject_rbl_client") {
    struct RblRow {
      const char* list;
      const char* address;
      int code;
    };
    const RblRow rows[] = {
        {"bl.example", "192.0.2.66", 554},
        {"bl.example", "192.0.2.1", 250},
        {"bl.example=127.0.0.2", "192.0.2.66", 554},
        {"bl.example=127.0.0.3", "192.0.2.66", 250},
        {"other.example=127.0.0.4", "192.0.2.66", 554},
    };
    for (const RblRow& row : rows) {
      INFO(row.list << " " << row.address);
      Run r = run({Stage::kClient}, lists_with(Stage::kClient, {"reject_rbl_client", row.list}), client(row.address),
                  default_answer);
      CHECK(r.result.verdict.code == row.code);
    }
    Run r = run({Stage::kClient}, lists_with(Stage::kClient, {"reject_rbl_client", "bl.example"}), client("192.0.2.66"),
                default_answer);
    CHECK(r.result.verdict.enhanced == "5.7.1");
    CHECK(r.result.verdict.text == "Service unavailable; Client host [192.0.2.66] blocked using bl.example");
    CHECK(r.asked == std::vector<std::string>{"address 66.2.0.192.bl.example"});
  }

  TEST_CASE("reject_unknown_sender_domain and reject_unknown_recipient_domain") {
    auto sender = [](const char* address) {
      CheckFacts f = client("192.0.2.1");
      f.sender = address;
      return run({Stage::kSender}, lists_with(Stage::kSender, {"reject_unknown_sender_domain"}), f, default_answer);
    };
    Run nx = sender("a@nx.example");
    CHECK(nx.result.verdict.code == 450);
    CHECK(nx.result.verdict.enhanced == "4.1.8");
    CHECK(nx.result.verdict.text == "<a@nx.example>: Sender address rejected: Domain not found");
    Run null = sender("a@null.example");
    CHECK(null.result.verdict.code == 550);
    CHECK(null.result.verdict.enhanced == "5.7.27");
    CHECK(null.result.verdict.text == "<a@null.example>: Sender address rejected: Domain null.example does not accept mail (nullMX)");
    CHECK(sender("a@good.example").result.verdict.accept);
    Run ours = sender("a@tern.test");
    CHECK(ours.result.verdict.accept);
    CHECK(ours.asked == std::vector<std::string>{"resolve a@tern.test"});  // no DNS for our own domain
    CHECK(sender("").result.verdict.accept);
    Run slow = sender("a@slow.example");
    CHECK(slow.result.verdict.code == 450);  // defer_if_permit: nothing else rejected

    RestrictionLists lists = lists_with(Stage::kSender, {"reject_unknown_sender_domain", "reject"});
    CheckFacts f = client("192.0.2.1");
    f.sender = "a@slow.example";
    Run rejected = run({Stage::kSender}, lists, f, default_answer);
    CHECK(rejected.result.verdict.code == 554);  // a reject wins over defer_if_permit

    lists = lists_with(Stage::kRecipient, {"reject_unknown_recipient_domain"});
    lists.codes.unknown_address = 550;
    RecipientFacts rf;
    rf.recipient = "b@nx.example";
    rf.lookup_ok = true;
    rf.klass = proto::Resolution::RELAY;
    f = client("192.0.2.1");
    f.recipient = &rf;
    Run rcpt = run({Stage::kRecipient}, lists, f, default_answer);
    CHECK(rcpt.result.verdict.code == 550);
    CHECK(rcpt.result.verdict.enhanced == "5.1.2");
    CHECK(rcpt.result.verdict.text == "<b@nx.example>: Recipient address rejected: Domain not found");
    rf.recipient = "b@null.example";
    rcpt = run({Stage::kRecipient}, lists, f, default_answer);
    CHECK(rcpt.result.verdict.code == 556);
    CHECK(rcpt.result.verdict.enhanced == "5.1.10");
  }

  TEST_CASE("stages run in order; a permit ends only its own list") {
    RestrictionLists lists;
    std::vector<std::string> problems;
    lists.client = parse_restriction_list({"permit"}, "c", &problems);
    lists.helo = parse_restriction_list({"reject_non_fqdn_helo_hostname"}, "h", &problems);
    lists.sender = parse_restriction_list({"reject"}, "s", &problems);
    RecipientFacts rf;
    rf.recipient = "b@tern.test";
    rf.lookup_ok = true;
    rf.klass = proto::Resolution::LOCAL;
    CheckFacts f = client("192.0.2.1");
    f.helo = "localhost";
    f.sender = "a@b.example";
    f.recipient = &rf;
    std::vector<Stage> all = {Stage::kClient, Stage::kHelo, Stage::kSender, Stage::kRelay, Stage::kRecipient};
    Run r = run(all, lists, f, default_answer);
    CHECK(r.result.verdict.code == 504);  // the client's permit did not skip the HELO list
    f.helo = "mx.example.org";
    r = run(all, lists, f, default_answer);
    CHECK(r.result.verdict.code == 554);
    CHECK(r.result.verdict.text == "<a@b.example>: Sender address rejected: Access denied");
  }

  TEST_CASE("reject_unauth_pipelining") {
    CheckFacts f = client("192.0.2.1");
    RestrictionLists lists = lists_with(Stage::kData, {"reject_unauth_pipelining"});
    CHECK(run({Stage::kData}, lists, f, default_answer).result.verdict.accept);
    f.improper_pipelining = true;
    Run r = run({Stage::kData}, lists, f, default_answer);
    CHECK(r.result.verdict.code == 503);
    CHECK(r.result.verdict.enhanced == "5.5.0");
    CHECK(r.result.verdict.text == "<DATA>: Data command rejected: Improper use of SMTP command pipelining");
  }

  TEST_CASE("parsing reports unknown names and missing arguments, naming the parameter") {
    std::vector<std::string> problems;
    RestrictionList list = parse_restriction_list({"reject_unknown_client_hostname", "permit_mynetworks",
                                                   "reject_rbl_client", "zen.example=127.0.0.[2..11]",
                                                   "check_client_access"},
                                                  "smtpd_client_restrictions", &problems);
    REQUIRE(list.size() == 4);
    CHECK_FALSE(list[0].known);
    CHECK(list[1].known);
    CHECK_FALSE(list[2].known);
    CHECK_FALSE(list[3].known);
    CHECK(problems == std::vector<std::string>{
                          "smtpd_client_restrictions: unknown restriction \"reject_unknown_client_hostname\"",
                          "smtpd_client_restrictions: reject_rbl_client zen.example=127.0.0.[2..11]: Tern supports only "
                          "domain=d.d.d.d",
                          "smtpd_client_restrictions: check_client_access needs a table after it"});
  }
}

}  // namespace
}  // namespace tern::smtpd

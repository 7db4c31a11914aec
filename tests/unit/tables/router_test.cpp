// Tests for common/tables/router.h: virtual alias expansion and recipient classes, with fake
// tables and a fake user database.
#include <doctest/doctest.h>

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/tables/router.h"
#include "common/tables/table_name.h"

namespace tern::tables {
namespace {

using proto::Resolution;

// Tables by name, each a map of key -> one value (aliases: the targets); "broken" fails.
class FakeTables : public TableLookup {
 public:
  std::map<std::string, std::map<std::string, std::vector<std::string>>> tables;

  Result<std::optional<std::vector<std::string>>> find(const std::vector<std::string>& names,
                                                       std::string_view key, Syntax) override {
    for (const auto& name : names) {
      if (name.find("broken") != std::string::npos) return fail("table broken: Permission denied");
      auto& table = tables[name];
      auto it = table.find(lowercase(key));
      if (it != table.end()) return std::optional(it->second);
    }
    return std::optional<std::vector<std::string>>();
  }
};

class FakeUsers : public UserDb {
 public:
  std::set<std::string> names{"root", "alice"};
  bool exists(const std::string& name) override { return names.count(name) > 0; }
};

RouterSettings settings() {
  RouterSettings s;
  s.mydestination = {"tern.test", "localhost", "/etc/local-domains"};
  s.virtual_mailbox_domains = {"Virt.Example"};
  s.virtual_alias_domains = {"alias.example"};
  s.virtual_alias_maps = {"va"};
  s.virtual_mailbox_maps = {"vm"};
  s.alias_maps = {"aliases"};
  s.local_recipient_maps = {"proxy:unix:passwd.byname", "aliases"};  // Postfix's default
  s.myorigin = "tern.test";
  s.recipient_delimiter = "+";
  s.recursion_limit = 20;
  s.expansion_limit = 50;
  return s;
}

FakeTables tables() {
  FakeTables t;
  t.tables["/etc/local-domains"] = {{"other.test", {"ok"}}};
  t.tables["aliases"] = {{"postmaster", {"root"}}, {"list+special", {"x"}}};
  t.tables["vm"] = {{"carol@virt.example", {"virt.example/carol/"}},
                    {"dave+box@virt.example", {"virt.example/dave-box"}},
                    {"@catch.example", {"catch.example/all/"}}};
  t.tables["va"] = {
      {"info@alias.example", {"alice@tern.test, carol@virt.example"}},
      {"sales@relay.example", {"bob@elsewhere.example"}},
      {"fan@relay.example", {"info@alias.example alice@TERN.test"}},
      {"loop1@relay.example", {"loop2@relay.example"}},
      {"loop2@relay.example", {"loop1@relay.example"}},
      {"self@relay.example", {"self@relay.example, archive@relay.example"}},
      {"webmaster", {"alice"}},
      {"@wild.example", {"root@tern.test"}},
      {"tag@relay.example", {"alice@tern.test"}},
  };
  return t;
}

struct Want {
  std::string address;
  Resolution::Class klass;
  std::string detail;  // mailbox, nexthop or error
  std::string extension = "";
};

void check(Router& router, std::string_view address, const std::vector<Want>& want) {
  auto got = router.resolve(address);
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("resolution ", i, ": ", got[i].DebugString());
    CHECK(got[i].address() == want[i].address);
    CHECK(got[i].klass() == want[i].klass);
    const std::string& detail = got[i].klass() == Resolution::RELAY ? got[i].nexthop()
                                : (got[i].klass() == Resolution::LOCAL || got[i].klass() == Resolution::VIRTUAL)
                                    ? got[i].mailbox()
                                    : got[i].error();
    CHECK(detail == want[i].detail);
    CHECK(got[i].extension() == want[i].extension);
  }
}

TEST_SUITE("tables.router") {
  TEST_CASE("classification and expansion") {
    struct Row {
      std::string_view name;
      std::string_view address;
      std::vector<Want> want;
    };
    const Row rows[] = {
        {"local user", "alice@tern.test", {{"alice@tern.test", Resolution::LOCAL, "alice"}}},
        {"domain case and trailing dot", "Alice@TERN.Test.", {{"Alice@TERN.Test.", Resolution::LOCAL, "alice"}}},
        {"extension removed", "alice+news@tern.test", {{"alice+news@tern.test", Resolution::LOCAL, "alice", "news"}}},
        {"localhost", "root@localhost", {{"root@localhost", Resolution::LOCAL, "root"}}},
        {"loopback literal", "root@[127.0.0.1]", {{"root@[127.0.0.1]", Resolution::LOCAL, "root"}}},
        {"mydestination table", "root@other.test", {{"root@other.test", Resolution::LOCAL, "root"}}},
        {"bare local part", "alice", {{"alice@tern.test", Resolution::LOCAL, "alice"}}},
        {"alias only", "postmaster@tern.test", {{"postmaster@tern.test", Resolution::LOCAL, "postmaster"}}},
        {"alias with extension key", "list+special@tern.test", {{"list+special@tern.test", Resolution::LOCAL, "list", "special"}}},
        {"unknown local", "nobody-here@tern.test",
         {{"nobody-here@tern.test", Resolution::UNKNOWN, "User unknown in local recipient table"}}},
        {"virtual mailbox", "carol@virt.example", {{"carol@virt.example", Resolution::VIRTUAL, "virt.example/carol/"}}},
        {"virtual with extension falls back", "carol+x@virt.example",
         {{"carol+x@virt.example", Resolution::VIRTUAL, "virt.example/carol/", "x"}}},
        {"virtual extension key first", "dave+box@virt.example",
         {{"dave+box@virt.example", Resolution::VIRTUAL, "virt.example/dave-box", "box"}}},
        {"unknown virtual", "erin@virt.example",
         {{"erin@virt.example", Resolution::UNKNOWN, "User unknown in virtual mailbox table"}}},
        {"relay", "bob@Far.Example", {{"bob@Far.Example", Resolution::RELAY, "far.example"}}},
        {"virtual alias fan-out", "info@alias.example",
         {{"alice@tern.test", Resolution::LOCAL, "alice"}, {"carol@virt.example", Resolution::VIRTUAL, "virt.example/carol/"}}},
        {"unknown in alias domain", "who@alias.example",
         {{"who@alias.example", Resolution::UNKNOWN, "User unknown in virtual alias table"}}},
        {"alias to relay", "sales@relay.example", {{"bob@elsewhere.example", Resolution::RELAY, "elsewhere.example"}}},
        {"recursive and deduplicated", "fan@relay.example",
         {{"alice@tern.test", Resolution::LOCAL, "alice"}, {"carol@virt.example", Resolution::VIRTUAL, "virt.example/carol/"}}},
        {"self reference kept", "self@relay.example",
         {{"self@relay.example", Resolution::RELAY, "relay.example"}, {"archive@relay.example", Resolution::RELAY, "relay.example"}}},
        {"loop stops", "loop1@relay.example", {{"loop1@relay.example", Resolution::RELAY, "relay.example"}}},
        {"bare key only for local domains", "webmaster@tern.test", {{"alice@tern.test", Resolution::LOCAL, "alice"}}},
        {"bare key not for other domains", "webmaster@far.example", {{"webmaster@far.example", Resolution::RELAY, "far.example"}}},
        {"catch-all alias", "anyone@wild.example", {{"root@tern.test", Resolution::LOCAL, "root"}}},
        {"extension propagated", "tag+x@relay.example", {{"alice+x@tern.test", Resolution::LOCAL, "alice", "x"}}},
    };
    FakeTables t = tables();
    FakeUsers users;
    Router router(settings(), t, users);
    for (const auto& r : rows) {
      INFO(r.name);
      check(router, r.address, r.want);
    }
  }

  TEST_CASE("catch-all virtual mailbox domain from the mailbox table") {
    FakeTables t = tables();
    FakeUsers users;
    RouterSettings s = settings();
    s.virtual_mailbox_domains = {"catch.example"};
    Router router(s, t, users);
    check(router, "x@catch.example", {{"x@catch.example", Resolution::VIRTUAL, "catch.example/all/"}});
  }

  TEST_CASE("relayhost") {
    FakeTables t = tables();
    FakeUsers users;
    RouterSettings s = settings();
    s.relayhost = "[smarthost.example]:587";
    Router router(s, t, users);
    check(router, "bob@far.example", {{"bob@far.example", Resolution::RELAY, "[smarthost.example]:587"}});
    check(router, "alice@tern.test", {{"alice@tern.test", Resolution::LOCAL, "alice"}});
  }

  TEST_CASE("transport_maps: address, domain, .parent and * entries, before relayhost") {
    FakeTables t = tables();
    t.tables["transport"] = {{"vip+urgent@far.example", {"smtp:[urgent.example]:2525"}},
                             {"vip@far.example", {"relay:[vip.example]"}},
                             {"far.example", {":[far-gw.example]:587"}},
                             {".sub.example", {"smtp:"}},
                             {"bad.example", {"error:no mail here"}},
                             {"lmtp.example", {"lmtp:unix:/run/dovecot/lmtp"}},
                             {"rel.example", {"lmtp:unix:private/dovecot-lmtp"}},
                             {"*", {"smtp:[fallback.example]"}}};
    FakeUsers users;
    RouterSettings s = settings();
    s.transport_maps = {"transport"};
    s.relayhost = "[smarthost.example]:587";
    Router router(s, t, users);
    check(router, "vip+urgent@far.example",
          {{"vip+urgent@far.example", Resolution::RELAY, "[urgent.example]:2525"}});
    check(router, "vip+other@far.example", {{"vip+other@far.example", Resolution::RELAY, "[vip.example]"}});
    check(router, "bob@FAR.example", {{"bob@FAR.example", Resolution::RELAY, "[far-gw.example]:587"}});
    // ".sub.example" matches below sub.example, not sub.example itself (which falls to "*");
    // an empty nexthop is the recipient's domain.
    check(router, "bob@a.sub.example", {{"bob@a.sub.example", Resolution::RELAY, "a.sub.example"}});
    check(router, "bob@sub.example", {{"bob@sub.example", Resolution::RELAY, "[fallback.example]"}});
    check(router, "bob@bad.example",
          {{"bob@bad.example", Resolution::ERROR,
            "transport_maps: transport \"error\" is not supported (smtp, relay and lmtp are)"}});
    check(router, "bob@lmtp.example", {{"bob@lmtp.example", Resolution::RELAY, "lmtp:unix:/run/dovecot/lmtp"}});
    check(router, "bob@rel.example",
          {{"bob@rel.example", Resolution::ERROR,
            "transport_maps: lmtp needs a nexthop: unix:/absolute/path, [host]:port or host"}});
    // Local and virtual recipients are not relayed.
    check(router, "alice@tern.test", {{"alice@tern.test", Resolution::LOCAL, "alice"}});
    t.tables["transport"].erase("*");
    check(router, "bob@near.example", {{"bob@near.example", Resolution::RELAY, "[smarthost.example]:587"}});
  }

  TEST_CASE("virtual_transport = lmtp:... puts the LMTP server on virtual resolutions") {
    FakeTables t = tables();
    FakeUsers users;
    RouterSettings s = settings();
    s.virtual_transport = "lmtp:unix:/run/dovecot/lmtp";
    Router router(s, t, users);
    auto got = router.resolve("carol@virt.example");
    REQUIRE(got.size() == 1);
    CHECK(got[0].klass() == Resolution::VIRTUAL);
    CHECK(got[0].nexthop() == "lmtp:unix:/run/dovecot/lmtp");
    check(router, "nobody@virt.example", {{"nobody@virt.example", Resolution::UNKNOWN,
                                           "User unknown in virtual mailbox table"}});
    s.virtual_transport = "dovecot";
    Router other(s, t, users);
    check(other, "carol@virt.example", {{"carol@virt.example", Resolution::ERROR,
                                         "virtual_transport \"dovecot\" is not supported (virtual and lmtp:... are)"}});
  }

  TEST_CASE("relay_domains, their subdomains, and relay_recipient_maps") {
    FakeTables t = tables();
    t.tables["relayed"] = {{"bob@backup.example", {"ok"}}, {"@open.example", {"ok"}}};
    FakeUsers users;
    RouterSettings s = settings();
    s.relay_domains = {"backup.example", "open.example", ".dotted.example"};
    Router router(s, t, users);
    for (const char* address : {"x@backup.example", "x@sub.backup.example", "x@a.dotted.example"}) {
      INFO(address);
      auto got = router.resolve(address);
      REQUIRE(got.size() == 1);
      CHECK(got[0].klass() == Resolution::RELAY);
      CHECK(got[0].relay_domain());
    }
    CHECK_FALSE(router.resolve("x@dotted.example")[0].relay_domain());
    CHECK_FALSE(router.resolve("x@elsewhere.example")[0].relay_domain());
    s.relay_domains_match_subdomains = false;
    CHECK_FALSE(Router(s, t, users).resolve("x@sub.backup.example")[0].relay_domain());
    s.relay_recipient_maps = {"relayed"};
    Router checked(s, t, users);
    CHECK(checked.resolve("bob@backup.example")[0].klass() == Resolution::RELAY);
    CHECK(checked.resolve("anyone@open.example")[0].klass() == Resolution::RELAY);
    auto unknown = checked.resolve("eve@backup.example");
    CHECK(unknown[0].klass() == Resolution::UNKNOWN);
    CHECK(unknown[0].relay_domain());
    CHECK(unknown[0].error() == "User unknown in relay recipient table");
    CHECK(checked.resolve("eve@elsewhere.example")[0].klass() == Resolution::RELAY);  // not a relay domain
  }

  TEST_CASE("local_recipient_maps: empty accepts every local name; a table lists them") {
    FakeTables t = tables();
    t.tables["staff"] = {{"carl", {"ok"}}, {"dora@tern.test", {"ok"}}};
    FakeUsers users;
    RouterSettings s = settings();
    s.local_recipient_maps = {};
    Router open(s, t, users);
    check(open, "whoever@tern.test", {{"whoever@tern.test", Resolution::LOCAL, "whoever"}});
    s.local_recipient_maps = {"staff"};
    Router listed(s, t, users);
    check(listed, "carl+x@tern.test", {{"carl+x@tern.test", Resolution::LOCAL, "carl", "x"}});
    check(listed, "dora@tern.test", {{"dora@tern.test", Resolution::LOCAL, "dora"}});
    // A system user that the table does not list is unknown here.
    check(listed, "alice@tern.test", {{"alice@tern.test", Resolution::UNKNOWN, "User unknown in local recipient table"}});
  }

  TEST_CASE("an unreadable table is a temporary error") {
    FakeUsers users;
    struct Row {
      std::string_view name;
      void (*change)(RouterSettings&);
      std::string_view address;
    };
    const Row rows[] = {
        {"virtual_alias_maps", [](RouterSettings& s) { s.virtual_alias_maps = {"broken"}; }, "x@far.example"},
        {"alias_maps", [](RouterSettings& s) {
           s.alias_maps = {"broken"};
           s.local_recipient_maps = {"proxy:unix:passwd.byname", "broken"};  // "... $alias_maps"
         }, "nobody@tern.test"},
        {"virtual_mailbox_maps", [](RouterSettings& s) { s.virtual_mailbox_maps = {"broken"}; }, "c@virt.example"},
        {"mydestination table", [](RouterSettings& s) { s.mydestination = {"/etc/broken"}; }, "c@far.example"},
    };
    for (const auto& r : rows) {
      INFO(r.name);
      FakeTables t = tables();
      RouterSettings s = settings();
      r.change(s);
      Router router(s, t, users);
      check(router, r.address, {{std::string(r.address), Resolution::ERROR, "table broken: Permission denied"}});
    }
  }

  TEST_CASE("expansion limit") {
    FakeTables t = tables();
    for (int i = 0; i < 30; ++i) {
      t.tables["va"]["chain" + std::to_string(i) + "@relay.example"] = {"chain" + std::to_string(i + 1) + "@relay.example"};
    }
    FakeUsers users;
    Router router(settings(), t, users);
    auto got = router.resolve("chain0@relay.example");
    REQUIRE(got.size() == 1);
    CHECK(got[0].klass() == Resolution::ERROR);
    CHECK(got[0].address() == "chain0@relay.example");
  }
}

}  // namespace
}  // namespace tern::tables

// Tests for routing decisions from lookup's answers.
#include <doctest/doctest.h>

#include <string>

#include "qmgr/router.h"

namespace tern::qmgr {
namespace {

proto::Resolution res(const char* address, proto::Resolution::Class klass, const char* nexthop = "",
                      const char* mailbox = "") {
  proto::Resolution r;
  r.set_address(address);
  r.set_klass(klass);
  r.set_nexthop(nexthop);
  r.set_mailbox(mailbox);
  return r;
}

Result<proto::LookupReply> reply(std::vector<proto::Resolution> resolutions) {
  proto::LookupReply reply;
  for (auto& r : resolutions) *reply.add_resolutions() = r;
  return reply;
}

TEST_SUITE("qmgr.router") {
  TEST_CASE("routes by class") {
    using K = RouteDecision::Kind;
    using C = proto::Resolution;
    struct Row {
      const char* name;
      Result<proto::LookupReply> reply;
      bool added;
      K kind;
      Destination destination;
      const char* dsn;
    };
    const Row rows[] = {
        {"lookup down", fail("connect: ENOENT", 2), false, K::kDefer, {}, "4.3.0"},
        {"no answer", reply({}), false, K::kDefer, {}, "4.3.0"},
        {"error class", reply({res("a@x", C::ERROR)}), false, K::kDefer, {}, "4.3.0"},
        {"unknown user", reply({res("a@x", C::UNKNOWN)}), false, K::kBounce, {}, "5.1.1"},
        {"local user", reply({res("a@x", C::LOCAL, "", "a")}), false, K::kDeliver, {"local", "a"}, ""},
        {"virtual", reply({res("a@v", C::VIRTUAL, "", "v/a/")}), false, K::kDeliver, {"local", "v/a/"}, ""},
        {"relay", reply({res("a@r", C::RELAY, "r")}), false, K::kDeliver, {"smtp", "r"}, ""},
        {"alias list", reply({res("a@x", C::LOCAL, "", "a"), res("b@r", C::RELAY, "r")}), false,
         K::kExpand, {}, ""},
        {"added, list contains itself", reply({res("a@x", C::LOCAL, "", "a"), res("b@r", C::RELAY, "r")}),
         true, K::kDeliver, {"local", "a"}, ""},
    };
    for (const auto& row : rows) {
      INFO(row.name);
      RouteDecision d = decide_route("a@x", row.added, row.reply);
      CHECK(d.kind == row.kind);
      CHECK(d.dsn_status == row.dsn);
      if (d.kind == K::kDeliver) CHECK(d.target.destination == row.destination);
      if (d.kind == K::kExpand) CHECK(d.addresses == std::vector<std::string>{"a@x", "b@r"});
    }
  }
}

}  // namespace
}  // namespace tern::qmgr

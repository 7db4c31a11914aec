// Routing decisions from lookup's resolutions (see router.h).
#include "qmgr/router.h"

namespace tern::qmgr {
namespace {

RouteDecision defer(std::string reason) {
  RouteDecision d;
  d.kind = RouteDecision::Kind::kDefer;
  d.dsn_status = "4.3.0";
  d.reason = std::move(reason);
  return d;
}

RouteDecision deliver(const proto::Resolution& r) {
  RouteDecision d;
  d.kind = RouteDecision::Kind::kDeliver;
  d.target.address = r.address();
  d.target.mailbox = r.mailbox();
  d.target.extension = r.extension();
  if (r.klass() == proto::Resolution::RELAY || !r.nexthop().empty()) {
    // A local or virtual recipient with a nexthop goes to a transport (virtual_transport = lmtp:...).
    d.target.destination = {"smtp", r.nexthop()};
  } else {
    d.target.virtual_mailbox = r.klass() == proto::Resolution::VIRTUAL;
    d.target.destination = {"local", r.mailbox().empty() ? r.address() : r.mailbox()};
  }
  return d;
}

RouteDecision decide_one(const proto::Resolution& r) {
  switch (r.klass()) {
    case proto::Resolution::LOCAL:
    case proto::Resolution::VIRTUAL:
    case proto::Resolution::RELAY:
      return deliver(r);
    case proto::Resolution::UNKNOWN: {
      RouteDecision d;
      d.kind = RouteDecision::Kind::kBounce;
      d.dsn_status = "5.1.1";
      d.reason = r.error().empty() ? "unknown user: \"" + r.address() + "\"" : r.error();
      return d;
    }
    default:
      return defer(r.error().empty() ? "routing look-up failed" : r.error());
  }
}

}  // namespace

RouteDecision decide_route(const std::string& address, bool is_added,
                           const Result<proto::LookupReply>& reply) {
  if (!reply) return defer("lookup service unavailable: " + reply.error().message);
  const auto& resolutions = reply->resolutions();
  if (resolutions.empty()) {
    return defer(reply->error().empty() ? "lookup gave no route" : reply->error());
  }
  for (const auto& r : resolutions) {
    if (r.klass() == proto::Resolution::ERROR) return decide_one(r);
  }
  if (resolutions.size() == 1) return decide_one(resolutions[0]);
  if (is_added) {
    for (const auto& r : resolutions) {
      if (r.address() == address) return decide_one(r);
    }
  }
  RouteDecision d;
  d.kind = RouteDecision::Kind::kExpand;
  for (const auto& r : resolutions) d.addresses.push_back(r.address());
  return d;
}

}  // namespace tern::qmgr

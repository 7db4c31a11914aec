// Routing one recipient from lookup's answer (proto/lookup.proto, ResolveQuery), pure:
//   lookup unreachable, no answer, or a resolution of class ERROR  -> defer 4.3.0
//   UNKNOWN                                                         -> bounce 5.1.1
//   one LOCAL or VIRTUAL resolution -> the `local` transport, one destination per mailbox;
//                                      with a nexthop (virtual_transport = lmtp:...) -> `smtp`
//   one RELAY resolution            -> the `smtp` transport, destination = nexthop
//   several resolutions (a virtual alias list) -> expand: each address becomes an added
//     recipient with its own durable status, routed again on its own.
// An added recipient that resolves to a list containing itself (a -> a, b) is delivered as
// itself: the others were added by its parent's expansion already.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "lookup.pb.h"
#include "qmgr/scheduler.h"

namespace tern::qmgr {

struct RouteTarget {
  Destination destination;
  std::string address;        // after virtual_alias_maps
  std::string mailbox;        // local: user name or virtual mailbox path
  std::string extension;
  bool virtual_mailbox = false;
};

struct RouteDecision {
  enum class Kind { kDeliver, kExpand, kBounce, kDefer };
  Kind kind = Kind::kDefer;
  RouteTarget target;                  // kDeliver
  std::vector<std::string> addresses;  // kExpand
  std::string dsn_status;              // kBounce, kDefer
  std::string reason;
};

RouteDecision decide_route(const std::string& address, bool is_added,
                           const Result<proto::LookupReply>& reply);

}  // namespace tern::qmgr

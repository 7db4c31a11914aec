// Nexthop: where qmgr says a job goes -- "example.com" (MX look-up), "[host]:port" or
// "[host]" (no MX look-up), "host:port" (MX look-up on host, port kept), as Postfix's relayhost
// is written; with an "lmtp:" prefix (transport_maps), an LMTP server: "lmtp:unix:/path",
// "lmtp:inet:host:port", "lmtp:[host]:port" or "lmtp:host" (never an MX look-up; port 24 by
// default). Pure.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"

namespace tern::smtp {

struct Nexthop {
  std::string host;        // without brackets
  uint16_t port = 25;
  bool mx_lookup = true;   // false for "[host]"
  bool ip_literal = false; // host is an IPv4/IPv6 address ("[192.0.2.1]", "[ipv6:2001:db8::1]")
  bool lmtp = false;       // speak LMTP (RFC 2033): LHLO, one reply per recipient after the data
  std::string unix_path;   // LMTP over this unix-domain socket instead of TCP
};

Result<Nexthop> parse_nexthop(const std::string& text);

}  // namespace tern::smtp

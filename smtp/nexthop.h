// Nexthop: where qmgr says a job goes -- "example.com" (MX look-up), "[host]:port" or
// "[host]" (no MX look-up), "host:port" (MX look-up on host, port kept), as Postfix's relayhost
// is written. Pure.
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
};

Result<Nexthop> parse_nexthop(const std::string& text);

}  // namespace tern::smtp

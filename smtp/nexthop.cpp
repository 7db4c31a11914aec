// Nexthop parsing (see nexthop.h).
#include "smtp/nexthop.h"

#include <arpa/inet.h>
#include <strings.h>

namespace tern::smtp {
namespace {

bool is_ip(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

Result<Nexthop> parse_nexthop(const std::string& text) {
  Nexthop hop;
  std::string rest = text;
  if (strncasecmp(rest.c_str(), "lmtp:", 5) == 0) {
    hop.lmtp = true;
    hop.port = 24;
    rest = rest.substr(5);
    if (strncasecmp(rest.c_str(), "unix:", 5) == 0) {
      hop.unix_path = rest.substr(5);
      if (hop.unix_path.empty() || hop.unix_path[0] != '/')
        return fail("bad nexthop \"" + text + "\": an LMTP socket needs an absolute path");
      hop.host = "localhost";
      hop.mx_lookup = false;
      return hop;
    }
    if (strncasecmp(rest.c_str(), "inet:", 5) == 0) rest = rest.substr(5);
  }
  std::string port;
  if (!rest.empty() && rest[0] == '[') {
    size_t close = rest.find(']');
    if (close == std::string::npos) return fail("bad nexthop \"" + text + "\": no closing ]");
    hop.host = rest.substr(1, close - 1);
    hop.mx_lookup = false;
    std::string after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return fail("bad nexthop \"" + text + "\"");
      port = after.substr(1);
    }
    if (hop.host.size() > 5 && strncasecmp(hop.host.c_str(), "ipv6:", 5) == 0) hop.host = hop.host.substr(5);
  } else {
    size_t colon = rest.rfind(':');
    if (colon != std::string::npos && rest.find(':') == colon) {
      hop.host = rest.substr(0, colon);
      port = rest.substr(colon + 1);
    } else {
      hop.host = rest;
    }
  }
  if (hop.host.empty()) return fail("bad nexthop \"" + text + "\": empty host");
  if (!port.empty()) {
    unsigned long n = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || n > 65535) return fail("bad nexthop \"" + text + "\": bad port");
      n = n * 10 + static_cast<unsigned long>(c - '0');
    }
    if (n == 0 || n > 65535) return fail("bad nexthop \"" + text + "\": bad port");
    hop.port = static_cast<uint16_t>(n);
  }
  hop.ip_literal = is_ip(hop.host);
  if (hop.ip_literal || hop.lmtp) hop.mx_lookup = false;
  return hop;
}

}  // namespace tern::smtp

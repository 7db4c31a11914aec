// DnsSettings: which resolvers lookup asks and how (dns_nameservers as "ip[:port]" items, or
// the "nameserver" lines of /etc/resolv.conf), and whether their AD bit is trusted
// (dns_trusted_resolver). Parsing is pure and tested; from_config reads resolv.conf.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/config.h"
#include "common/result.h"

namespace tern::lookup {

struct Nameserver {
  std::string ip;      // "127.0.0.1", "::1"
  uint16_t port = 53;
  bool operator==(const Nameserver&) const = default;
};

struct DnsSettings {
  std::vector<Nameserver> nameservers;
  bool trusted_resolver = false;   // trust the AD bit (DANE)
  int timeout_seconds = 3;         // per try; two tries per nameserver

  static DnsSettings from_config(const config::Config& config);
};

// "127.0.0.1", "127.0.0.1:5353", "::1", "[::1]:5353".
Result<Nameserver> parse_nameserver(std::string_view item);
// The "nameserver" lines of a resolv.conf text; unusable ones are skipped.
std::vector<Nameserver> parse_resolv_conf(std::string_view text);

}  // namespace tern::lookup

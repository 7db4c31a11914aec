// The DNS answers lookup serves, composed from single questions (dns_query.h); blocking, for
// the work pool. Each returns a LookupReply (no id) and the seconds it may be cached (0: do
// not cache -- temporary failures).
//  resolve_mx: MX records sorted by preference, each host with its addresses (IPv6, then
//    IPv4); no MX -> the domain itself (implicit MX); "MX 0 ." -> DNS_NULLMX; NXDOMAIN ->
//    DNS_NOTFOUND; SERVFAIL, timeouts -> DNS_TEMPFAIL. CNAMEs are followed everywhere.
//  resolve_address: one host with its addresses ("[192.0.2.1]" and bare IPs answer
//    themselves).
//  resolve_tlsa: the TLSA records of _port._tcp.host, with the AD bit when trusted.
// DNSSEC (dns_trusted_resolver = yes): authenticated_data says the MX RRset (mx), the address
// records (address) or the TLSA RRset (tlsa) came validated, every CNAME hop included; each
// MxHost.authenticated says the same of that host's address records (RFC 7672 §2.2).
#pragma once

#include <cstdint>
#include <string>

#include "lookup.pb.h"
#include "lookup/dns_settings.h"

namespace tern::lookup {

struct DnsAnswer {
  proto::LookupReply reply;
  uint32_t ttl = 0;
};

DnsAnswer resolve_mx(const DnsSettings& settings, const std::string& domain);
DnsAnswer resolve_address(const DnsSettings& settings, const std::string& host);
DnsAnswer resolve_tlsa(const DnsSettings& settings, const std::string& host, uint32_t port);

}  // namespace tern::lookup

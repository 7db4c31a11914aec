// MX, address and TLSA answers composed from single DNS questions (see dns_resolve.h).
#include "lookup/dns_resolve.h"

#include <arpa/inet.h>

#include <algorithm>
#include <limits>

#include "lookup/dns_query.h"

namespace tern::lookup {
namespace {

constexpr int kMaxCnameHops = 8;
constexpr uint32_t kMaxTtl = 86400;

using Kind = QueryResult::Kind;

// Asks for (name, type), following CNAME chains inside and across answers. The answer keeps
// only the records of `type` owned by the end of the chain, and is authenticated only when
// every answer along the chain was.
QueryResult query_following(const DnsSettings& settings, const std::string& name, RrType type,
                            uint32_t* ttl) {
  std::string current = normal_name(name);
  bool authenticated = true;
  for (int hop = 0; hop < kMaxCnameHops; ++hop) {
    QueryResult result = dns_query(settings, current, type);
    authenticated = authenticated && result.authenticated;
    result.authenticated = authenticated;
    if (result.kind != Kind::kOk) return result;
    std::string start = current;
    for (int walk = 0; walk < kMaxCnameHops; ++walk) {
      auto cname = std::find_if(result.answer.begin(), result.answer.end(), [&](const DnsRecord& r) {
        return r.type == RrType::kCname && r.owner == current;
      });
      bool has_data = std::any_of(result.answer.begin(), result.answer.end(), [&](const DnsRecord& r) {
        return r.type == type && r.owner == current;
      });
      if (has_data || cname == result.answer.end()) break;
      *ttl = std::min(*ttl, cname->ttl);
      current = cname->target;
    }
    std::erase_if(result.answer, [&](const DnsRecord& r) { return r.type != type || r.owner != current; });
    if (!result.answer.empty() || current == start) return result;
  }
  QueryResult loop;
  loop.error = "CNAME chain of " + name + " too long";
  return loop;
}

bool literal_address(const std::string& host, std::string* address) {
  std::string inner = host;
  if (inner.size() > 2 && inner.front() == '[' && inner.back() == ']') inner = inner.substr(1, inner.size() - 2);
  if (inner.starts_with("IPv6:") || inner.starts_with("ipv6:")) inner = inner.substr(5);
  unsigned char buffer[16];
  if (inet_pton(AF_INET, inner.c_str(), buffer) != 1 && inet_pton(AF_INET6, inner.c_str(), buffer) != 1) {
    return false;
  }
  *address = inner;
  return true;
}

// AAAA then A of host into *host_out; the combined status. host_out->authenticated() says
// whether every answer that was used came validated (RFC 7672 §2.2.2 wants that for DANE).
proto::DnsStatus host_addresses(const DnsSettings& settings, const std::string& host,
                                proto::MxHost* host_out, uint32_t* ttl, std::string* error) {
  std::string literal;
  if (literal_address(host, &literal)) {
    host_out->add_addresses(literal);
    return proto::DNS_OK;
  }
  bool tempfail = false;
  bool nxdomain = false;
  bool authenticated = true;
  for (RrType type : {RrType::kAaaa, RrType::kA}) {
    QueryResult result = query_following(settings, host, type, ttl);
    authenticated = authenticated && result.authenticated;
    if (result.kind == Kind::kTempFail) {
      tempfail = true;
      *error = host + ": " + result.error;
      continue;
    }
    if (result.kind == Kind::kNxDomain) {
      nxdomain = true;
      *error = host + ": " + result.error;
      *ttl = std::min(*ttl, result.negative_ttl);
      break;  // no such name: no A either
    }
    if (result.answer.empty()) *ttl = std::min(*ttl, result.negative_ttl);
    for (const auto& record : result.answer) {
      *ttl = std::min(*ttl, record.ttl);
      host_out->add_addresses(record.address);
    }
  }
  host_out->set_authenticated(authenticated && !tempfail);
  if (host_out->addresses_size() > 0) return proto::DNS_OK;
  if (tempfail) return proto::DNS_TEMPFAIL;
  if (!nxdomain) *error = host + ": Host found but no address record";
  return proto::DNS_NOTFOUND;
}

DnsAnswer finish(DnsAnswer answer, proto::DnsStatus status, const std::string& error) {
  answer.reply.set_status(status);
  if (status != proto::DNS_OK) answer.reply.set_error(error);
  if (status == proto::DNS_TEMPFAIL) answer.ttl = 0;
  answer.ttl = std::min(answer.ttl, kMaxTtl);
  return answer;
}

}  // namespace

DnsAnswer resolve_address(const DnsSettings& settings, const std::string& host) {
  DnsAnswer answer;
  answer.ttl = std::numeric_limits<uint32_t>::max();
  std::string error;
  proto::MxHost* out = answer.reply.add_hosts();
  out->set_name(normal_name(host));
  proto::DnsStatus status = host_addresses(settings, host, out, &answer.ttl, &error);
  answer.reply.set_authenticated_data(out->authenticated());
  if (status != proto::DNS_OK) answer.reply.clear_hosts();
  return finish(std::move(answer), status, error);
}

DnsAnswer resolve_mx(const DnsSettings& settings, const std::string& domain) {
  std::string literal;
  if (literal_address(domain, &literal)) return resolve_address(settings, domain);
  DnsAnswer answer;
  answer.ttl = std::numeric_limits<uint32_t>::max();
  QueryResult mx = query_following(settings, domain, RrType::kMx, &answer.ttl);
  if (mx.kind == Kind::kTempFail) return finish(std::move(answer), proto::DNS_TEMPFAIL, domain + ": " + mx.error);
  if (mx.kind == Kind::kNxDomain) {
    answer.ttl = std::min(answer.ttl, mx.negative_ttl);
    return finish(std::move(answer), proto::DNS_NOTFOUND, domain + ": " + mx.error);
  }
  if (mx.answer.empty()) {  // implicit MX (RFC 5321 §5.1): secure when the denial and the address are
    answer.ttl = std::min(answer.ttl, mx.negative_ttl);
    DnsAnswer implicit = resolve_address(settings, domain);
    implicit.ttl = std::min(implicit.ttl, answer.ttl);
    implicit.reply.set_authenticated_data(mx.authenticated && implicit.reply.authenticated_data());
    return implicit;
  }
  answer.reply.set_authenticated_data(mx.authenticated);
  if (mx.answer.size() == 1 && mx.answer[0].target.empty()) {  // null MX (RFC 7505)
    answer.ttl = std::min(answer.ttl, mx.answer[0].ttl);
    return finish(std::move(answer), proto::DNS_NULLMX, domain + ": domain does not accept mail (null MX)");
  }
  std::stable_sort(mx.answer.begin(), mx.answer.end(),
                   [](const DnsRecord& a, const DnsRecord& b) { return a.preference < b.preference; });
  bool tempfail = false;
  std::string error;
  for (const auto& record : mx.answer) {
    if (record.target.empty()) continue;  // a null MX among real ones is ignored
    answer.ttl = std::min(answer.ttl, record.ttl);
    proto::MxHost host;
    host.set_name(record.target);
    host.set_preference(record.preference);
    if (host_addresses(settings, record.target, &host, &answer.ttl, &error) == proto::DNS_TEMPFAIL) {
      tempfail = true;
    }
    if (host.addresses_size() > 0) *answer.reply.add_hosts() = std::move(host);
  }
  if (answer.reply.hosts_size() > 0) return finish(std::move(answer), proto::DNS_OK, "");
  return finish(std::move(answer), tempfail ? proto::DNS_TEMPFAIL : proto::DNS_NOTFOUND,
                domain + ": no MX host has an address (" + error + ")");
}

DnsAnswer resolve_tlsa(const DnsSettings& settings, const std::string& host, uint32_t port) {
  DnsAnswer answer;
  answer.ttl = std::numeric_limits<uint32_t>::max();
  std::string name = "_" + std::to_string(port) + "._tcp." + normal_name(host);
  QueryResult result = query_following(settings, name, RrType::kTlsa, &answer.ttl);
  if (result.kind == Kind::kTempFail) return finish(std::move(answer), proto::DNS_TEMPFAIL, name + ": " + result.error);
  answer.reply.set_authenticated_data(result.authenticated);
  if (result.kind == Kind::kNxDomain || result.answer.empty()) {
    answer.ttl = std::min(answer.ttl, result.negative_ttl);
    return finish(std::move(answer), proto::DNS_NOTFOUND, name + ": no TLSA records");
  }
  for (const auto& record : result.answer) {
    answer.ttl = std::min(answer.ttl, record.ttl);
    proto::TlsaRecord* tlsa = answer.reply.add_tlsa();
    tlsa->set_usage(record.usage);
    tlsa->set_selector(record.selector);
    tlsa->set_matching(record.matching);
    tlsa->set_data(record.data);
  }
  return finish(std::move(answer), proto::DNS_OK, "");
}

}  // namespace tern::lookup

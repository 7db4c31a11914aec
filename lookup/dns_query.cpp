// dns_query(): one DNS question through ldns (see dns_query.h).
#include "lookup/dns_query.h"

#include <algorithm>

#include "common/tables/table_name.h"
#include "lookup/ldns_owners.h"

namespace tern::lookup {
namespace {

std::string rdf_text(const ldns_rdf* rdf) {
  if (rdf == nullptr) return {};
  CharsPtr text(ldns_rdf2str(rdf));
  return text ? std::string(text.get()) : std::string();
}

uint32_t rdf_int(const ldns_rdf* rdf) {
  if (rdf == nullptr) return 0;
  switch (ldns_rdf_size(rdf)) {
    case 1: return ldns_rdf2native_int8(rdf);
    case 2: return ldns_rdf2native_int16(rdf);
    case 4: return ldns_rdf2native_int32(rdf);
    default: return 0;
  }
}

// One answer-section record as a value; false for types we do not use or bad rdata.
bool convert(const ldns_rr* rr, DnsRecord* out) {
  out->owner = normal_name(rdf_text(ldns_rr_owner(rr)));
  out->ttl = ldns_rr_ttl(rr);
  size_t count = ldns_rr_rd_count(rr);
  switch (ldns_rr_get_type(rr)) {
    case LDNS_RR_TYPE_A:
    case LDNS_RR_TYPE_AAAA:
      if (count != 1) return false;
      out->type = ldns_rr_get_type(rr) == LDNS_RR_TYPE_A ? RrType::kA : RrType::kAaaa;
      out->address = rdf_text(ldns_rr_rdf(rr, 0));
      return !out->address.empty();
    case LDNS_RR_TYPE_CNAME:
      if (count != 1) return false;
      out->type = RrType::kCname;
      out->target = normal_name(rdf_text(ldns_rr_rdf(rr, 0)));
      return true;
    case LDNS_RR_TYPE_MX:
      if (count != 2) return false;
      out->type = RrType::kMx;
      out->preference = rdf_int(ldns_rr_rdf(rr, 0));
      out->target = normal_name(rdf_text(ldns_rr_rdf(rr, 1)));
      return true;
    case LDNS_RR_TYPE_TLSA: {
      if (count != 4) return false;
      out->type = RrType::kTlsa;
      out->usage = rdf_int(ldns_rr_rdf(rr, 0));
      out->selector = rdf_int(ldns_rr_rdf(rr, 1));
      out->matching = rdf_int(ldns_rr_rdf(rr, 2));
      const ldns_rdf* data = ldns_rr_rdf(rr, 3);
      if (data == nullptr) return false;
      out->data.assign(reinterpret_cast<const char*>(ldns_rdf_data(data)), ldns_rdf_size(data));
      return true;
    }
    default:
      return false;
  }
}

ResolverPtr make_resolver(const DnsSettings& settings, const Nameserver& ns) {
  ResolverPtr resolver(ldns_resolver_new());
  if (!resolver) return nullptr;
  bool v6 = ns.ip.find(':') != std::string::npos;
  RdfPtr address(ldns_rdf_new_frm_str(v6 ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A, ns.ip.c_str()));
  if (!address || ldns_resolver_push_nameserver(resolver.get(), address.get()) != LDNS_STATUS_OK) {
    return nullptr;
  }
  ldns_resolver_set_port(resolver.get(), ns.port);
  ldns_resolver_set_recursive(resolver.get(), true);
  ldns_resolver_set_random(resolver.get(), false);
  ldns_resolver_set_retry(resolver.get(), 2);
  ldns_resolver_set_retrans(resolver.get(), 1);
  ldns_resolver_set_timeout(resolver.get(), timeval{settings.timeout_seconds, 0});
  ldns_resolver_set_dnssec(resolver.get(), settings.trusted_resolver);
  ldns_resolver_set_fallback(resolver.get(), true);
  return resolver;
}

uint32_t negative_ttl(const ldns_pkt* pkt) {
  const ldns_rr_list* authority = ldns_pkt_authority(pkt);
  for (size_t i = 0; authority != nullptr && i < ldns_rr_list_rr_count(authority); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(authority, i);
    if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && ldns_rr_rd_count(rr) == 7) {
      return std::min(ldns_rr_ttl(rr), rdf_int(ldns_rr_rdf(rr, 6)));
    }
  }
  return 300;
}

}  // namespace

std::string normal_name(std::string_view name) {
  std::string out = tables::lowercase(name);
  while (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

QueryResult dns_query(const DnsSettings& settings, const std::string& name, RrType type) {
  QueryResult result;
  std::string absolute = normal_name(name) + ".";
  RdfPtr qname(ldns_dname_new_frm_str(absolute.c_str()));
  if (!qname || absolute.size() > 255 || absolute == ".") {
    result.kind = QueryResult::Kind::kNxDomain;
    result.error = "malformed domain name \"" + name + "\"";
    return result;
  }
  result.error = "no nameservers configured";
  for (const auto& ns : settings.nameservers) {
    ResolverPtr resolver = make_resolver(settings, ns);
    if (!resolver) {
      result.error = "cannot use nameserver " + ns.ip;
      continue;
    }
    ldns_pkt* raw = nullptr;
    uint16_t flags = LDNS_RD | (settings.trusted_resolver ? LDNS_AD : 0);
    ldns_status status = ldns_resolver_send(&raw, resolver.get(), qname.get(),
                                            static_cast<ldns_rr_type>(type), LDNS_RR_CLASS_IN, flags);
    PktPtr pkt(raw);
    std::string server = ns.ip + "#" + std::to_string(ns.port);
    if (status != LDNS_STATUS_OK || !pkt) {
      result.error = server + ": " + ldns_get_errorstr_by_id(status);
      continue;
    }
    ldns_pkt_rcode rcode = ldns_pkt_get_rcode(pkt.get());
    if (rcode == LDNS_RCODE_NXDOMAIN) {
      result.kind = QueryResult::Kind::kNxDomain;
      result.error = "Host or domain name not found (NXDOMAIN)";
      result.negative_ttl = negative_ttl(pkt.get());
      return result;
    }
    if (rcode != LDNS_RCODE_NOERROR) {
      result.error = server + ": answer code " + std::to_string(static_cast<int>(rcode));
      continue;
    }
    result.kind = QueryResult::Kind::kOk;
    result.error.clear();
    result.authenticated = settings.trusted_resolver && ldns_pkt_ad(pkt.get());
    result.negative_ttl = negative_ttl(pkt.get());
    const ldns_rr_list* answer = ldns_pkt_answer(pkt.get());
    for (size_t i = 0; answer != nullptr && i < ldns_rr_list_rr_count(answer); ++i) {
      DnsRecord record;
      if (convert(ldns_rr_list_rr(answer, i), &record)) result.answer.push_back(std::move(record));
    }
    return result;
  }
  result.kind = QueryResult::Kind::kTempFail;
  return result;
}

}  // namespace tern::lookup

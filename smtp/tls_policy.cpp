// TLS levels and DANE decisions (see tls_policy.h).
#include "smtp/tls_policy.h"

namespace tern::smtp {

std::optional<TlsLevel> parse_tls_level(std::string_view value) {
  size_t start = value.find_first_not_of(" \t");
  if (start == std::string_view::npos) return std::nullopt;
  value = value.substr(start);
  value = value.substr(0, value.find_first_of(" \t"));
  if (value == "none") return TlsLevel::kNone;
  if (value == "may") return TlsLevel::kMay;
  if (value == "encrypt") return TlsLevel::kEncrypt;
  if (value == "dane" || value == "dane-only") return TlsLevel::kDane;
  if (value == "verify" || value == "secure") return TlsLevel::kVerify;
  return std::nullopt;
}

const char* tls_level_name(TlsLevel level) {
  switch (level) {
    case TlsLevel::kNone: return "none";
    case TlsLevel::kMay: return "may";
    case TlsLevel::kEncrypt: return "encrypt";
    case TlsLevel::kVerify: return "verify";
    case TlsLevel::kDane: return "dane";
  }
  return "?";
}

DaneDecision decide_dane(const Result<proto::LookupReply>& reply, const std::string& host, uint32_t port) {
  DaneDecision d;
  std::string name = "_" + std::to_string(port) + "._tcp." + host;
  if (!reply) {
    d.error = "TLSA look-up of " + name + " failed: " + reply.error().message;
    return d;
  }
  switch (reply->status()) {
    case proto::DNS_OK: break;
    case proto::DNS_NOTFOUND: return d;  // no TLSA records: "may"
    default:
      d.error = "TLSA look-up of " + name + " failed: " + (reply->error().empty() ? "temporary failure" : reply->error());
      return d;
  }
  if (!reply->authenticated_data()) return d;  // not DNSSEC-validated: worthless for DANE
  std::vector<Tlsa> all;
  for (const auto& r : reply->tlsa()) all.push_back(Tlsa{r.usage(), r.selector(), r.matching(), r.data()});
  if (all.empty()) return d;
  d.records = usable_tlsa(all);
  d.level = d.records.empty() ? TlsLevel::kEncrypt : TlsLevel::kDane;
  return d;
}

}  // namespace tern::smtp

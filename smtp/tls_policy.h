// TLS policy for one delivery: the level named by smtp_tls_security_level or an
// smtp_tls_policy_maps value, and what DANE makes of a TLSA answer from lookup (RFC 7672 §2.2):
//   look-up failed (SERVFAIL, timeout, lookup down)      -> this server is not used (defer)
//   no TLSA records, or an answer without the AD bit     -> "may"
//   authenticated TLSA records, none usable              -> "encrypt" (as Postfix)
//   authenticated, usable records                        -> "dane": TLS mandatory, chain must match
// Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "lookup.pb.h"
#include "smtp/dane.h"
#include "smtp/session.h"

namespace tern::smtp {

// "none", "may", "encrypt", "dane", "dane-only", "verify", "secure" (the first word of a
// policy_maps value; attributes after it are ignored). nullopt for anything else.
std::optional<TlsLevel> parse_tls_level(std::string_view value);
const char* tls_level_name(TlsLevel level);

struct DaneDecision {
  TlsLevel level = TlsLevel::kMay;
  std::vector<Tlsa> records;  // usable ones, for kDane
  std::string error;          // non-empty: the look-up failed; do not use this server
};

DaneDecision decide_dane(const Result<proto::LookupReply>& reply, const std::string& host, uint32_t port);

}  // namespace tern::smtp

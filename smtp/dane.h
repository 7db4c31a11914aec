// DANE (RFC 7672, RFC 7671) for outbound SMTP: which TLSA records are usable, and whether a
// server's certificate chain matches them. Pure (BoringSSL parses and hashes; no I/O, no
// clock but the verifier's "now" for DANE-TA). Runs on any thread.
//
//   3 x x (DANE-EE): the leaf certificate (selector 0) or its SubjectPublicKeyInfo (selector 1)
//         matches; no name, expiry or chain check (RFC 7672 §3.1.1).
//   2 x x (DANE-TA): an issuer certificate in the server's chain matches; the chain from the
//         leaf up to it must verify, and the leaf must carry one of the reference names
//         (the MX host name, the nexthop domain) (RFC 7672 §3.1.2).
// Matching types: 0 full data, 1 SHA-256, 2 SHA-512. Usages 0 and 1 (PKIX) are unusable in
// SMTP (RFC 7672 §3.1.3), as are unknown selectors and matching types.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tern::smtp {

struct Tlsa {
  uint32_t usage = 0;
  uint32_t selector = 0;
  uint32_t matching = 0;
  std::string data;  // binary association data
};

struct DaneVerdict {
  bool matched = false;
  std::string detail;  // "matched DANE-EE 3 1 1" or why nothing matched
};

// The records smtp can use; the rest are ignored (not an error).
std::vector<Tlsa> usable_tlsa(const std::vector<Tlsa>& records);

// chain_der[0] is the server's certificate, then the chain it sent (DER each).
DaneVerdict dane_match(const std::vector<Tlsa>& usable, const std::vector<std::string>& chain_der,
                       const std::vector<std::string>& reference_names);

}  // namespace tern::smtp

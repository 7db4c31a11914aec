// dns_query(): one blocking DNS question (name, type) to the configured resolvers, with
// ldns, run on a work-pool thread (never on the loop). Tries each nameserver in turn until
// one gives a definite answer (NOERROR or NXDOMAIN); the answer's records come back as plain
// values, so no ldns object leaves this module. A malformed answer is a temporary failure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lookup/dns_settings.h"

namespace tern::lookup {

enum class RrType : uint16_t { kA = 1, kCname = 5, kMx = 15, kAaaa = 28, kTlsa = 52 };

struct DnsRecord {
  std::string owner;        // lower case, no trailing dot
  RrType type = RrType::kA;
  uint32_t ttl = 0;
  uint32_t preference = 0;  // MX
  std::string target;       // MX exchange or CNAME target ("" for the root, as in null MX)
  std::string address;      // A / AAAA, in text
  uint32_t usage = 0, selector = 0, matching = 0;  // TLSA
  std::string data;         // TLSA association data (raw bytes)
};

struct QueryResult {
  enum class Kind { kOk, kNxDomain, kTempFail } kind = Kind::kTempFail;
  std::string error;                 // kTempFail / kNxDomain: why, for the log and the reply
  std::vector<DnsRecord> answer;     // every record of the answer section we understand
  uint32_t negative_ttl = 300;       // from the SOA of a negative answer
  bool authenticated = false;        // the AD bit
};

// "example.com" -> lower case, no trailing dot.
std::string normal_name(std::string_view name);

QueryResult dns_query(const DnsSettings& settings, const std::string& name, RrType type);

}  // namespace tern::lookup

// access(5) for the check_*_access restrictions: the keys searched, in Postfix's order, and
// what a table value means. Pure functions; the look-up itself is lookup's (one TableQuery
// with every key, first match wins).
//
//  client   the address, then its shortened prefixes: 192.0.2.1, 192.0.2, 192.0, 192;
//           2001:db8::1, 2001:db8:, 2001:db8, 2001 (cut at the last '.' or ':'). No host
//           name keys: smtpd does no reverse look-up (the name is always "unknown").
//  domain   the name, then its parent domains: "example.com" also matches sub.example.com
//           when parent_domain_matches_subdomains lists smtpd_access_maps (Postfix's
//           default); otherwise ".example.com" does.
//  address  user+ext@domain, user@domain (recipient_delimiter), the domain keys, then
//           user+ext@ and user@. The null sender is looked up as
//           smtpd_null_access_lookup_key (<>).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tern::smtpd {

std::vector<std::string> client_access_keys(std::string_view address);
std::vector<std::string> domain_access_keys(std::string_view domain, bool parent_matches_subdomains);
std::vector<std::string> address_access_keys(std::string_view address, std::string_view delimiters,
                                             bool parent_matches_subdomains);

// What a table value says (its first word, case-insensitive).
struct AccessAction {
  enum Kind {
    kPermit,        // OK, or an all-numeric value
    kDunno,         // DUNNO
    kReject,        // REJECT [text], or 5NN [text]
    kDefer,         // DEFER [text], or 4NN [text]
    kWarn,          // WARN [text]: log and go on
    kRestrictions,  // restriction names ("permit_mynetworks, reject"): evaluated in place
    kUnsupported,   // HOLD, DISCARD, FILTER, REDIRECT, PREPEND, ...: configuration error
  };
  Kind kind = kDunno;
  int code = 0;            // kReject/kDefer: the code given (4NN/5NN), else 0 for the default
  std::string enhanced;    // "5.7.1" when the text starts with one, else ""
  std::string text;        // the rest of the value (without the enhanced code)
  std::vector<std::string> restrictions;  // kRestrictions
};

AccessAction parse_access_value(std::string_view value);

}  // namespace tern::smtpd

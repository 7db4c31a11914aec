// Checks: validation of the parameters whose values are more than a type — an enumeration
// (log_level, the TLS security levels) or a list of socket addresses (*_listen,
// dns_nameservers). Each takes the expanded value and returns "" when it is fine, else the
// "why" of a config error ("want none, may or encrypt"). Pure functions.
#pragma once

#include <string>
#include <string_view>

namespace tern::config {

// Signature of Parameter::check (parameters.h).
using Check = std::string (*)(std::string_view value);

std::string check_log_level(std::string_view value);        // debug info warning error
std::string check_smtpd_tls_level(std::string_view value);  // "" none may encrypt
std::string check_sasl_type(std::string_view value);        // tern dovecot
// An SMTP reply code for a refusal: 4xx or 5xx (the *_reject_code parameters).
std::string check_reply_code(std::string_view value);
// "" none may encrypt dane verify secure
std::string check_smtp_tls_level(std::string_view value);
// Each item is "address:port": IPv4 "192.0.2.1:25", IPv6 "[::1]:25", port 1..65535.
std::string check_listen(std::string_view value);
// Each item is an IP address with an optional port: "192.0.2.1", "192.0.2.1:53", "::1",
// "[::1]:53".
std::string check_nameservers(std::string_view value);

}  // namespace tern::config

// Checks: enumerations and socket-address lists in parameter values (see checks.h).
#include "common/config/checks.h"

#include <arpa/inet.h>

#include <initializer_list>

#include "common/config/values.h"
#include "common/log/log.h"

namespace tern::config {
namespace {

std::string one_of(std::string_view value, std::initializer_list<std::string_view> allowed,
                   const char* want) {
  for (std::string_view a : allowed)
    if (value == a) return "";
  return want;
}

bool is_ip(std::string_view text, int family) {
  std::string s(text);
  unsigned char buf[16];
  return inet_pton(family, s.c_str(), buf) == 1;
}

bool is_port(std::string_view text) {
  Result<int64_t> n = parse_count(text);
  return n && *n >= 1 && *n <= 65535;
}

// Splits "[v6]:port" or "v4:port" into address and port; false when there is no port.
bool split_host_port(std::string_view item, std::string_view* host, std::string_view* port,
                     int* family) {
  if (!item.empty() && item[0] == '[') {
    size_t close = item.find(']');
    if (close == std::string_view::npos || close + 1 >= item.size() || item[close + 1] != ':')
      return false;
    *host = item.substr(1, close - 1);
    *port = item.substr(close + 2);
    *family = AF_INET6;
    return true;
  }
  size_t colon = item.rfind(':');
  if (colon == std::string_view::npos) return false;
  *host = item.substr(0, colon);
  *port = item.substr(colon + 1);
  *family = AF_INET;
  return true;
}

std::string quoted(std::string_view item) { return "\"" + std::string(item) + "\""; }

std::string check_endpoint(std::string_view item, bool port_optional) {
  if (port_optional && (is_ip(item, AF_INET) || is_ip(item, AF_INET6))) return "";
  std::string_view host, port;
  int family = AF_INET;
  if (!split_host_port(item, &host, &port, &family) || !is_ip(host, family))
    return port_optional ? quoted(item) + " is not an IP address with an optional port"
                         : quoted(item) + " is not address:port (IPv6 as [::1]:25)";
  if (!is_port(port)) return quoted(item) + ": port must be 1 to 65535";
  return "";
}

std::string check_endpoints(std::string_view value, bool port_optional) {
  for (const std::string& item : split_list(value)) {
    std::string why = check_endpoint(item, port_optional);
    if (!why.empty()) return why;
  }
  return "";
}

}  // namespace

std::string check_log_level(std::string_view value) {
  log::Level level;
  return log::parse_level(value, &level) ? "" : "want debug, info, warning or error";
}

std::string check_reply_code(std::string_view value) {
  bool ok = value.size() == 3 && (value[0] == '4' || value[0] == '5') &&
            value.find_first_not_of("0123456789") == std::string_view::npos;
  return ok ? "" : "want a 4xx or 5xx SMTP reply code";
}

std::string check_sasl_type(std::string_view value) {
  return one_of(value, {"tern", "dovecot"}, "want tern (sasl_password_file) or dovecot (smtpd_sasl_path)");
}

std::string check_smtpd_tls_level(std::string_view value) {
  return one_of(value, {"", "none", "may", "encrypt"}, "want none, may or encrypt");
}

std::string check_smtp_tls_level(std::string_view value) {
  return one_of(value, {"", "none", "may", "encrypt", "dane", "verify", "secure"},
                "want none, may, encrypt, dane, verify or secure");
}

std::string check_listen(std::string_view value) { return check_endpoints(value, false); }

std::string check_nameservers(std::string_view value) { return check_endpoints(value, true); }

}  // namespace tern::config

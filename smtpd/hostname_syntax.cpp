// Host name and address syntax (see hostname_syntax.h).
#include "smtpd/hostname_syntax.h"

#include <arpa/inet.h>

#include <cctype>

namespace tern::smtpd {
namespace {

std::string_view without_trailing_dot(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return name;
}

}  // namespace

bool valid_hostname(std::string_view name) {
  name = without_trailing_dot(name);
  if (name.empty() || name.size() > 255) return false;
  bool non_numeric = false;
  size_t label = 0;
  char previous = '.';
  for (char c : name) {
    if (c == '.') {
      if (label == 0 || previous == '-') return false;
      label = 0;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') {
      if (c == '-' && label == 0) return false;
      if (++label > 63) return false;
      if (!std::isdigit(static_cast<unsigned char>(c))) non_numeric = true;
    } else {
      return false;
    }
    previous = c;
  }
  return previous != '-' && non_numeric;
}

bool valid_ip_address(std::string_view text) {
  std::string s(text);
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool valid_address_literal(std::string_view text) {
  if (text.size() < 3 || text.front() != '[' || text.back() != ']') return false;
  std::string inside(text.substr(1, text.size() - 2));
  unsigned char buf[16];
  if (inside.size() > 5 && (inside.compare(0, 5, "IPv6:") == 0 || inside.compare(0, 5, "ipv6:") == 0)) {
    return inet_pton(AF_INET6, inside.c_str() + 5, buf) == 1;
  }
  return inet_pton(AF_INET, inside.c_str(), buf) == 1;
}

bool is_fqdn(std::string_view name) {
  return valid_hostname(name) && without_trailing_dot(name).find('.') != std::string_view::npos;
}

std::optional<std::string> rbl_query_name(std::string_view address, std::string_view domain) {
  std::string a(address);
  unsigned char buf[16];
  std::string out;
  if (inet_pton(AF_INET, a.c_str(), buf) == 1) {
    for (int i = 3; i >= 0; --i) out += std::to_string(buf[i]) + ".";
  } else if (inet_pton(AF_INET6, a.c_str(), buf) == 1) {
    static const char kHex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; --i) {
      out += kHex[buf[i] & 0xf];
      out += '.';
      out += kHex[buf[i] >> 4];
      out += '.';
    }
  } else {
    return std::nullopt;
  }
  return out + std::string(without_trailing_dot(domain));
}

}  // namespace tern::smtpd

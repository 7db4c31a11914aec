// EHLO keyword parsing (see capabilities.h). Keywords are case-insensitive.
#include "smtp/capabilities.h"

#include <cctype>
#include <sstream>

namespace tern::smtp {
namespace {

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Capabilities parse_capabilities(const Reply& ehlo) {
  Capabilities caps;
  caps.esmtp = true;
  for (size_t i = 1; i < ehlo.lines.size(); ++i) {
    std::istringstream words(upper(ehlo.lines[i]));
    std::string keyword;
    words >> keyword;
    if (keyword == "PIPELINING") caps.pipelining = true;
    else if (keyword == "STARTTLS") caps.starttls = true;
    else if (keyword == "8BITMIME") caps.eightbitmime = true;
    else if (keyword == "SMTPUTF8") caps.smtputf8 = true;
    else if (keyword == "DSN") caps.dsn = true;
    else if (keyword == "SIZE") {
      caps.size = true;
      std::string limit;
      if (words >> limit) {
        uint64_t n = 0;
        bool ok = !limit.empty() && limit.size() < 19;
        for (char c : limit) {
          if (!std::isdigit(static_cast<unsigned char>(c))) ok = false;
          else n = n * 10 + static_cast<uint64_t>(c - '0');
        }
        if (ok) caps.size_limit = n;
      }
    } else if (keyword == "AUTH" || keyword.starts_with("AUTH=")) {
      std::string rest = keyword.size() > 5 ? keyword.substr(5) + " " : "";
      std::string mech;
      std::istringstream mechs(rest);
      while (mechs >> mech || words >> mech) {
        if (mech == "PLAIN") caps.auth_plain = true;
        if (mech == "LOGIN") caps.auth_login = true;
      }
    }
  }
  return caps;
}

}  // namespace tern::smtp

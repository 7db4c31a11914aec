// Hostname: the machine's name for the default of myhostname (see hostname.h).
#include "common/config/hostname.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

namespace tern::config {
namespace {

std::string canonical_name_of(const std::string& host) {
  addrinfo hints{};
  hints.ai_flags = AI_CANONNAME;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &result) != 0) return "";
  std::string name = result && result->ai_canonname ? result->ai_canonname : "";
  freeaddrinfo(result);
  return name;
}

std::string look_up_hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "localhost";
  std::string host = buf;
  if (host.find('.') != std::string::npos) return host;
  std::string canonical = canonical_name_of(host);
  return canonical.find('.') != std::string::npos ? canonical : host;
}

}  // namespace

const std::string& system_hostname() {
  static const std::string name = look_up_hostname();
  return name;
}

}  // namespace tern::config

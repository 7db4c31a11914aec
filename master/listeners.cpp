// Binding of the SMTP listeners and their reconciliation on reload.
#include "master/listeners.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace tern::master {
namespace {

constexpr std::pair<const char*, const char*> kRoles[] = {
    {"smtp", "smtp_listen"}, {"submission", "submission_listen"}, {"smtps", "smtps_listen"}};

}  // namespace

Result<int> bind_tcp_listener(const std::string& endpoint) {
  auto colon = endpoint.rfind(':');
  if (colon == std::string::npos) return fail("listener '" + endpoint + "': expected address:port");
  std::string host = endpoint.substr(0, colon);
  std::string port_text = endpoint.substr(colon + 1);
  int port = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port < 1 || port > 65535) {
    return fail("listener '" + endpoint + "': bad port");
  }
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_INET;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    family = AF_INET6;
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&storage);
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &a6->sin6_addr) != 1) {
      return fail("listener '" + endpoint + "': bad IPv6 address");
    }
    length = sizeof(sockaddr_in6);
  } else {
    auto* a4 = reinterpret_cast<sockaddr_in*>(&storage);
    a4->sin_family = AF_INET;
    a4->sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, host.c_str(), &a4->sin_addr) != 1) {
      return fail("listener '" + endpoint + "': bad IPv4 address");
    }
    length = sizeof(sockaddr_in);
  }
  int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail_errno("socket for " + endpoint, errno);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    int err = errno;
    ::close(fd);
    return fail_errno("bind " + endpoint, err);
  }
  if (::listen(fd, 4096) != 0) {
    int err = errno;
    ::close(fd);
    return fail_errno("listen " + endpoint, err);
  }
  return fd;
}

Listeners::~Listeners() {
  for (auto& [key, fd] : open_) ::close(fd);
}

Result<bool> Listeners::update(const config::Config& config) {
  std::map<std::string, int> next;
  std::vector<int> fresh;
  for (const auto& [role, parameter] : kRoles) {
    for (const std::string& endpoint : config.get_list(parameter)) {
      std::string key = std::string(role) + " " + endpoint;
      if (next.count(key)) continue;
      if (auto it = open_.find(key); it != open_.end()) {
        next[key] = it->second;
        continue;
      }
      auto fd = bind_tcp_listener(endpoint);
      if (!fd) {
        for (int f : fresh) ::close(f);
        return std::unexpected(Error{parameter + std::string(": ") + fd.error().message, fd.error().code});
      }
      fresh.push_back(*fd);
      next[key] = *fd;
    }
  }
  bool changed = !fresh.empty();
  for (auto& [key, fd] : open_) {
    if (!next.count(key)) {
      ::close(fd);
      changed = true;
    }
  }
  open_ = std::move(next);
  return changed;
}

std::vector<process::NamedFd> Listeners::fds() const {
  std::vector<process::NamedFd> out;
  for (const auto& [key, fd] : open_) out.push_back({key.substr(0, key.find(' ')), fd});
  return out;
}

}  // namespace tern::master

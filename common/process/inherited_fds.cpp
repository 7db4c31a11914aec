// Parsing and formatting of TERN_FDS.
#include "common/process/inherited_fds.h"

#include <fcntl.h>

#include <charconv>
#include <cstdlib>

namespace tern::process {

Result<std::vector<NamedFd>> parse_inherited_fds(std::string_view text) {
  std::vector<NamedFd> out;
  while (!text.empty()) {
    auto comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    auto eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return fail(std::string(kFdsEnvironmentVariable) + ": malformed entry '" + std::string(item) + "'");
    }
    int fd = -1;
    std::string_view number = item.substr(eq + 1);
    auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), fd);
    if (ec != std::errc() || ptr != number.data() + number.size() || fd < 3) {
      return fail(std::string(kFdsEnvironmentVariable) + ": bad fd in '" + std::string(item) + "'");
    }
    out.push_back(NamedFd{std::string(item.substr(0, eq)), fd});
  }
  return out;
}

std::string format_inherited_fds(const std::vector<NamedFd>& fds) {
  std::string out;
  for (const auto& f : fds) {
    if (!out.empty()) out += ',';
    out += f.role + "=" + std::to_string(f.fd);
  }
  return out;
}

Result<InheritedFds> InheritedFds::from_environment() {
  const char* value = std::getenv(kFdsEnvironmentVariable);
  if (value == nullptr) return InheritedFds{};
  auto parsed = parse_inherited_fds(value);
  if (!parsed) return std::unexpected(parsed.error());
  for (const auto& f : *parsed) {
    if (::fcntl(f.fd, F_SETFD, FD_CLOEXEC) != 0) {
      return fail_errno("inherited fd " + std::to_string(f.fd) + " (" + f.role + ")", errno);
    }
  }
  ::unsetenv(kFdsEnvironmentVariable);  // not for our own children
  return InheritedFds(std::move(*parsed));
}

std::vector<int> InheritedFds::with_role(std::string_view role) const {
  std::vector<int> out;
  for (const auto& f : fds_) {
    if (f.role == role) out.push_back(f.fd);
  }
  return out;
}

int InheritedFds::first(std::string_view role) const {
  for (const auto& f : fds_) {
    if (f.role == role) return f.fd;
  }
  return -1;
}

}  // namespace tern::process

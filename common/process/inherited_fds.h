// InheritedFds: the sockets master hands to a child. Master places them at fds 3, 4, ... and
// names them in the environment variable TERN_FDS as "role=fd,role=fd" (for example
// "smtp=3,smtp=4,submission=5,ipc=6,master=7"), as systemd does with LISTEN_FDS.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace tern::process {

inline constexpr const char* kFdsEnvironmentVariable = "TERN_FDS";

struct NamedFd {
  std::string role;
  int fd = -1;
};

// Parses a TERN_FDS value; rejects malformed entries and fds below 3.
Result<std::vector<NamedFd>> parse_inherited_fds(std::string_view text);
// Formats the value master puts into TERN_FDS.
std::string format_inherited_fds(const std::vector<NamedFd>& fds);

class InheritedFds {
 public:
  // Reads TERN_FDS from the environment (absent: none), marks each fd close-on-exec.
  static Result<InheritedFds> from_environment();
  explicit InheritedFds(std::vector<NamedFd> fds) : fds_(std::move(fds)) {}
  InheritedFds() = default;

  // Every fd with this role, in order.
  std::vector<int> with_role(std::string_view role) const;
  // The single fd with this role, or -1.
  int first(std::string_view role) const;
  const std::vector<NamedFd>& all() const { return fds_; }

 private:
  std::vector<NamedFd> fds_;
};

}  // namespace tern::process

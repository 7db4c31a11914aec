// PidFile: <spool>/pid/master.pid, locked (flock) for master's whole life so that a second
// master on the same spool refuses to start, and so that ternctl can tell a live master from a
// stale file. Removed on clean exit.
#pragma once

#include <string>

#include "common/result.h"

namespace tern::process {

class PidFile {
 public:
  static Result<PidFile> acquire(const std::string& path);
  PidFile(PidFile&& other) noexcept;
  PidFile& operator=(PidFile&&) = delete;
  ~PidFile();
  // Rewrites the pid (after daemonizing changed it).
  void update();

 private:
  PidFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_ = -1;
};

// The pid of the master holding the lock on path, or 0 when none holds it.
int locked_master_pid(const std::string& path);

}  // namespace tern::process

// MasterProcess: master's whole job (DESIGN.md §1). prepare() does everything that may fail
// visibly before master detaches -- config, spool tree, pid lock, listeners, IPC sockets -- so
// that `ternctl start` can report a bad config or a busy port. run() starts the children and
// serves signals and the control socket until SIGTERM or `ternctl stop`.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "common/process/inherited_fds.h"
#include "common/result.h"
#include "master/listeners.h"
#include "master/options.h"
#include "common/process/pid_file.h"

namespace tern::master {

class MasterProcess {
 public:
  static Result<std::unique_ptr<MasterProcess>> prepare(const Options& options);
  ~MasterProcess();

  // Runs master's loop; returns the exit status.
  int run();
  // After daemonizing: the pid changed.
  void pid_changed() { pid_file_->update(); }
  // maillog_file: makes it this process's stderr, and so every program's log (they log to
  // stderr when it is set); false when maillog_file is empty. Call after daemonize().
  Result<bool> open_maillog_file();

 private:
  struct Running;
  MasterProcess(Options options, config::Config config);
  bool maillog_ = false;  // open_maillog_file() took effect: children log to stderr too
  Result<void> create_ipc_sockets();
  void reload();

  Options options_;
  config::Config config_;
  std::unique_ptr<process::PidFile> pid_file_;
  Listeners listeners_;
  std::vector<process::NamedFd> ipc_fds_;
  int control_fd_ = -1;
  int liveness_pipe_[2] = {-1, -1};
  std::unique_ptr<Running> running_;
};

// Detaches from the terminal: fork (the parent exits 0), setsid, stdio to /dev/null.
Result<void> daemonize();

}  // namespace tern::master

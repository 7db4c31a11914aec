// Supervisor: spawns Tern's programs with their sockets, restarts the ones that die (with
// RestartPolicy's back-off and give-up threshold, logged), forwards reloads, and stops them all
// within a bound. Children are libuv processes (uv_spawn maps each handed socket to fd 3, 4, ...
// and names them in TERN_FDS). Runs on master's loop.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/process/inherited_fds.h"
#include "common/uv/handle.h"
#include "common/uv/timer.h"
#include "master/restart_policy.h"

namespace tern::master {

struct ProgramSpec {
  std::string name;                         // "smtpd"
  int instances = 1;
  std::vector<process::NamedFd> fds;        // handed to every instance
};

struct SupervisorSettings {
  std::string daemon_directory;
  std::string config_directory;
  bool log_to_stderr = false;
  int master_pipe_fd = -1;                  // read end of master's liveness pipe
  RestartPolicy restart_policy{60'000, 10};
  // Called first whenever a child exits, with its program name and pid.
  std::function<void(const std::string& program, int pid)> on_child_exit;
};

struct ChildStatus {
  std::string name;
  int instance = 0;
  int pid = 0;
  int64_t started_us = 0;
  uint32_t restarts = 0;
  std::string state;                        // running, restarting, given-up, stopped
};

class Supervisor {
 public:
  Supervisor(uv_loop_t* loop, SupervisorSettings settings);
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Starts every instance of every program, in order.
  void start(std::vector<ProgramSpec> programs);
  // Replaces a program's sockets/instances and restarts it gracefully (reload with new listeners).
  void replace(const ProgramSpec& spec);
  void set_restart_policy(RestartPolicy policy) { settings_.restart_policy = policy; }
  // Sends a signal to every running child (SIGHUP on reload).
  void signal_all(int signum);
  // SIGTERM to all, SIGKILL to what is left after timeout_ms; done() once none runs.
  void stop_all(uint64_t timeout_ms, std::function<void()> done);
  std::vector<ChildStatus> status() const;

 private:
  struct Child;
  void spawn(Child& child);
  // A start that failed before the child ran: back off like a quick death, or give up.
  void retry_failed_start(Child& child, const std::string& why);
  void on_exit(Child& child, int64_t exit_status, int term_signal);
  void check_all_stopped();

  uv_loop_t* loop_;
  SupervisorSettings settings_;
  std::vector<std::unique_ptr<Child>> children_;
  bool stopping_ = false;
  std::function<void()> stopped_;
  uv::Timer kill_timer_;
};

}  // namespace tern::master

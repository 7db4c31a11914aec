// run_service(): the skeleton every Tern daemon but master runs on (STYLE.md §1, §2), so that
// each program's main() is a table of contents. It does, in this order:
//   options (-c DIR) -> log -> config -> inherited sockets -> chdir into the spool ->
//   drop to tern_user (unless the program keeps root) -> build the program's Service ->
//   watch SIGTERM, SIGHUP and master's liveness pipe -> run the loop.
// SIGHUP re-reads the config and hands it to Service::reload (a bad config is logged and the
// old one kept). SIGTERM, or master going away, calls Service::shutdown and exits when it
// reports done, or after daemon_shutdown_timeout at the latest.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>

#include "common/config/config.h"
#include "common/process/inherited_fds.h"
#include "common/result.h"

namespace tern::process {

struct ServiceInfo {
  const char* name;          // "qmgr": log name and the name master knows it by
  bool keep_root = false;    // only `local`, which switches to each mailbox owner itself
  // Threads in libuv's work pool (0: libuv's default, 4). They mostly wait in fsync(), and the
  // disk commits concurrent fsyncs together, so programs that sync many files want more. The
  // UV_THREADPOOL_SIZE environment variable, when set, wins.
  unsigned work_threads = 0;
};

struct ServiceContext {
  uv_loop_t* loop = nullptr;
  config::Config config;
  InheritedFds fds;
  std::string name;
  int instance = 0;          // which copy, for programs master runs several of (smtpd)
};

class Service {
 public:
  virtual ~Service() = default;
  // A new, valid config after SIGHUP.
  virtual void reload(const config::Config& config) { (void)config; }
  // Stop taking new work; call done() once in-flight work is safe to abandon.
  virtual void shutdown(std::function<void()> done) { done(); }
};

using ServiceFactory = std::function<Result<std::unique_ptr<Service>>(ServiceContext&)>;

// Runs the program; returns the process exit status.
int run_service(int argc, char** argv, const ServiceInfo& info, const ServiceFactory& factory);

// Log sink chosen by master for its children: stderr when TERN_LOG_STDERR=1, else syslog.
void init_logging_from_environment(const char* program);

}  // namespace tern::process

// ternctl start | stop | reload | status: master's life cycle, through its control socket.
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "common/process/program_path.h"
#include "ctl/command.h"
#include "ctl/control_client.h"

namespace tern::ctl {
namespace {

void sleep_ms(int ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1'000'000L};
  ::nanosleep(&ts, nullptr);
}

std::string format_uptime(int64_t started_us) {
  if (started_us <= 0) return "-";
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  int64_t seconds = now.tv_sec - started_us / 1'000'000;
  if (seconds < 0) seconds = 0;
  char buf[64];
  if (seconds >= 86400) {
    std::snprintf(buf, sizeof(buf), "%lldd%02lldh", static_cast<long long>(seconds / 86400),
                  static_cast<long long>(seconds % 86400 / 3600));
  } else {
    std::snprintf(buf, sizeof(buf), "%02lld:%02lld:%02lld", static_cast<long long>(seconds / 3600),
                  static_cast<long long>(seconds % 3600 / 60), static_cast<long long>(seconds % 60));
  }
  return buf;
}

}  // namespace

int run_start(const Invocation& inv) {
  auto config = load_config_or_report(inv.config_directory);
  if (!config) return kExitConfig;
  if (int pid = running_master_pid(*config); pid > 0) {
    std::fprintf(stderr, "ternctl: tern is already running (master pid %d)\n", pid);
    return 1;
  }
  auto master = process::program_path(config->get("daemon_directory"), "master");
  if (!master) {
    std::fprintf(stderr, "ternctl: %s\n", master.error().message.c_str());
    return kExitUnavailable;
  }
  pid_t child = ::fork();
  if (child < 0) {
    std::perror("ternctl: fork");
    return kExitTempFail;
  }
  if (child == 0) {
    ::execl(master->c_str(), master->c_str(), "-c", inv.config_directory.c_str(), static_cast<char*>(nullptr));
    std::fprintf(stderr, "ternctl: exec %s: %s\n", master->c_str(), std::strerror(errno));
    ::_exit(kExitUnavailable);
  }
  // master prepares (config, spool, listeners), forks its daemon, and its first process exits:
  // 0 once the daemon is on its way, non-zero with the reason already printed.
  int status = 0;
  ::waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "ternctl: tern did not start\n");
    return 1;
  }
  for (int waited = 0; waited < 10'000; waited += 100) {
    proto::ControlRequest request;
    request.mutable_status();
    if (call_master(*config, request, 1000)) {
      std::printf("ternctl: tern started\n");
      return kExitOk;
    }
    sleep_ms(100);
  }
  std::fprintf(stderr, "ternctl: master started but does not answer on its control socket\n");
  return kExitTempFail;
}

int run_stop(const Invocation& inv) {
  auto config = load_config_or_report(inv.config_directory);
  if (!config) return kExitConfig;
  int pid = running_master_pid(*config);
  if (pid == 0) {
    std::fprintf(stderr, "ternctl: tern is not running\n");
    return 1;
  }
  proto::ControlRequest request;
  request.mutable_stop();
  if (auto reply = call_master(*config, request); !reply) {
    // The control socket is gone or master is wedged: fall back to the signal.
    std::fprintf(stderr, "ternctl: %s; sending SIGTERM to master pid %d\n", reply.error().message.c_str(), pid);
    ::kill(pid, SIGTERM);
  }
  int64_t bound_ms = (config->get_time("daemon_shutdown_timeout") + 5) * 1000;
  for (int64_t waited = 0; waited < bound_ms; waited += 100) {
    if (running_master_pid(*config) == 0) {
      std::printf("ternctl: tern stopped\n");
      return kExitOk;
    }
    sleep_ms(100);
  }
  std::fprintf(stderr, "ternctl: master pid %d is still running\n", pid);
  return kExitTempFail;
}

int run_reload(const Invocation& inv) {
  auto config = load_config_or_report(inv.config_directory);
  if (!config) return kExitConfig;  // master would refuse it too; say so here
  proto::ControlRequest request;
  request.mutable_reload();
  auto reply = call_master(*config, request);
  if (!reply) {
    std::fprintf(stderr, "ternctl: %s\n", reply.error().message.c_str());
    return kExitUnavailable;
  }
  std::printf("ternctl: reload requested\n");
  return kExitOk;
}

int run_status(const Invocation& inv) {
  auto config = load_config_or_report(inv.config_directory);
  if (!config) return kExitConfig;
  proto::ControlRequest request;
  request.mutable_status();
  auto reply = call_master(*config, request);
  if (!reply) {
    std::fprintf(stderr, "ternctl: tern is not running: %s\n", reply.error().message.c_str());
    return 3;  // LSB "program is not running"
  }
  std::printf("%-10s %-8s %-10s %-12s %s\n", "PROGRAM", "PID", "UPTIME", "STATE", "RESTARTS");
  std::printf("%-10s %-8lld %-10s %-12s %s\n", "master", static_cast<long long>(reply->master_pid()),
              format_uptime(reply->master_started_us()).c_str(), "running", "-");
  for (const auto& p : reply->programs()) {
    std::printf("%-10s %-8lld %-10s %-12s %u\n", p.name().c_str(), static_cast<long long>(p.pid()),
                format_uptime(p.started_us()).c_str(), p.state().c_str(), p.restarts());
  }
  return kExitOk;
}

}  // namespace tern::ctl

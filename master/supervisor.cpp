// Spawning and supervising children.
#include "master/supervisor.h"

#include <signal.h>
#include <unistd.h>

#include <cstring>

#include "common/check.h"
#include "common/log/log.h"
#include "common/spool/queue_id.h"
#include "common/process/program_path.h"

extern char** environ;

namespace tern::master {
namespace {

bool is_tern_variable(const char* entry) {
  return std::strncmp(entry, "TERN_FDS=", 9) == 0 || std::strncmp(entry, "TERN_INSTANCE=", 14) == 0 ||
         std::strncmp(entry, "TERN_LOG_STDERR=", 16) == 0;
}

}  // namespace

struct Supervisor::Child {
  Supervisor* owner = nullptr;
  ProgramSpec spec;
  int instance = 0;
  uv::UvHandle<uv_process_t> process;
  int pid = 0;
  uint64_t started_ms = 0;
  int64_t started_us = 0;
  uint32_t restarts = 0;
  uint32_t consecutive_failures = 0;
  bool given_up = false;
  bool restart_requested = false;   // a planned restart (reload), not a failure
  std::unique_ptr<uv::Timer> restart_timer;
};

Supervisor::Supervisor(uv_loop_t* loop, SupervisorSettings settings)
    : loop_(loop), settings_(std::move(settings)), kill_timer_(loop) {}

Supervisor::~Supervisor() = default;

void Supervisor::start(std::vector<ProgramSpec> programs) {
  for (auto& spec : programs) {
    for (int i = 0; i < spec.instances; ++i) {
      auto child = std::make_unique<Child>();
      child->owner = this;
      child->spec = spec;
      child->instance = i;
      child->restart_timer = std::make_unique<uv::Timer>(loop_);
      children_.push_back(std::move(child));
    }
  }
  for (auto& child : children_) spawn(*child);
}

void Supervisor::spawn(Child& child) {
  if (stopping_) return;
  auto path = process::program_path(settings_.daemon_directory, child.spec.name);
  if (!path) {
    retry_failed_start(child, path.error().message);
    return;
  }

  // fds: 0-2 inherited, then the handed sockets, then master's liveness pipe.
  std::vector<process::NamedFd> handed = child.spec.fds;
  if (settings_.master_pipe_fd >= 0) handed.push_back({"master", settings_.master_pipe_fd});
  std::vector<uv_stdio_container_t> stdio(3 + handed.size());
  std::vector<process::NamedFd> numbered;
  for (int i = 0; i < 3; ++i) {
    stdio[i].flags = UV_INHERIT_FD;
    stdio[i].data.fd = i;
  }
  for (size_t i = 0; i < handed.size(); ++i) {
    stdio[3 + i].flags = UV_INHERIT_FD;
    stdio[3 + i].data.fd = handed[i].fd;
    numbered.push_back({handed[i].role, static_cast<int>(3 + i)});
  }

  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (!is_tern_variable(*e)) env_strings.emplace_back(*e);
  }
  env_strings.push_back(std::string(process::kFdsEnvironmentVariable) + "=" + process::format_inherited_fds(numbered));
  env_strings.push_back("TERN_INSTANCE=" + std::to_string(child.instance));
  env_strings.push_back(std::string("TERN_LOG_STDERR=") + (settings_.log_to_stderr ? "1" : "0"));
  std::vector<char*> env;
  for (auto& s : env_strings) env.push_back(s.data());
  env.push_back(nullptr);

  std::string config_dir = settings_.config_directory;
  std::vector<char*> args = {path->data(), const_cast<char*>("-c"), config_dir.data(), nullptr};

  uv_process_options_t options{};
  options.file = path->c_str();
  options.args = args.data();
  options.env = env.data();
  options.stdio_count = static_cast<int>(stdio.size());
  options.stdio = stdio.data();
  options.exit_cb = [](uv_process_t* p, int64_t status, int term_signal) {
    auto* c = static_cast<Child*>(p->data);
    if (c != nullptr) c->owner->on_exit(*c, status, term_signal);
  };

  auto* raw = new uv_process_t;
  raw->data = &child;
  int rc = uv_spawn(loop_, raw, &options);
  child.process = uv::UvHandle<uv_process_t>(raw);  // closed and freed by the owner either way
  if (rc != 0) {
    child.process.reset();
    retry_failed_start(child, uv_strerror(rc));
    return;
  }
  child.pid = raw->pid;
  child.started_ms = uv_now(loop_);
  child.started_us = spool::SystemClock().now_us();
  TERN_LOG_INFO("started %s (instance %d) pid %d", child.spec.name.c_str(), child.instance, child.pid);
}

void Supervisor::retry_failed_start(Child& child, const std::string& why) {
  TERN_LOG_ERROR("cannot start %s: %s", child.spec.name.c_str(), why.c_str());
  auto decision = settings_.restart_policy.on_exit(0, child.consecutive_failures);
  child.consecutive_failures = decision.consecutive_failures;
  if (decision.give_up) {
    child.given_up = true;
    TERN_LOG_FATAL("GIVING UP on %s after %u failed starts", child.spec.name.c_str(), child.consecutive_failures);
    return;
  }
  child.restart_timer->start(decision.delay_ms, [this, &child] { spawn(child); });
}

void Supervisor::on_exit(Child& child, int64_t exit_status, int term_signal) {
  int pid = child.pid;
  child.pid = 0;
  child.process.reset();
  if (settings_.on_child_exit) settings_.on_child_exit(child.spec.name, pid);
  int64_t ran_ms = static_cast<int64_t>(uv_now(loop_) - child.started_ms);
  if (stopping_) {
    TERN_LOG_INFO("%s pid %d exited", child.spec.name.c_str(), pid);
    check_all_stopped();
    return;
  }
  if (child.restart_requested) {
    child.restart_requested = false;
    TERN_LOG_INFO("%s pid %d exited for a restart", child.spec.name.c_str(), pid);
    spawn(child);
    return;
  }
  if (term_signal != 0) {
    TERN_LOG_WARNING("process %s pid %d killed by signal %d", child.spec.name.c_str(), pid, term_signal);
  } else {
    TERN_LOG_WARNING("process %s pid %d exit status %lld", child.spec.name.c_str(), pid,
                     static_cast<long long>(exit_status));
  }
  auto decision = settings_.restart_policy.on_exit(ran_ms, child.consecutive_failures);
  child.consecutive_failures = decision.consecutive_failures;
  if (decision.give_up) {
    child.given_up = true;
    TERN_LOG_FATAL("GIVING UP on %s: it died %u times in a row without staying up %lld s; "
                   "fix the cause and run 'ternctl reload' or restart tern",
                   child.spec.name.c_str(), child.consecutive_failures - 1,
                   static_cast<long long>(RestartPolicy::kStableRunMs / 1000));
    return;
  }
  TERN_LOG_WARNING("restarting %s in %llu ms (failure %u in a row)", child.spec.name.c_str(),
                   static_cast<unsigned long long>(decision.delay_ms), child.consecutive_failures);
  child.restart_timer->start(decision.delay_ms, [this, &child] {
    ++child.restarts;
    spawn(child);
  });
}

void Supervisor::replace(const ProgramSpec& spec) {
  for (auto& child : children_) {
    if (child->spec.name != spec.name) continue;
    child->spec.fds = spec.fds;
    child->given_up = false;
    child->consecutive_failures = 0;
    if (child->pid > 0) {
      child->restart_requested = true;
      ::kill(child->pid, SIGTERM);
    } else if (!child->restart_timer->active()) {
      spawn(*child);
    }
  }
}

void Supervisor::signal_all(int signum) {
  for (auto& child : children_) {
    if (child->pid > 0) ::kill(child->pid, signum);
    // A reload also gives a given-up program another chance, as the log line promises.
    if (signum == SIGHUP && child->given_up && !stopping_) {
      child->given_up = false;
      child->consecutive_failures = 0;
      spawn(*child);
    }
  }
}

void Supervisor::stop_all(uint64_t timeout_ms, std::function<void()> done) {
  stopping_ = true;
  stopped_ = std::move(done);
  for (auto& child : children_) {
    child->restart_timer->stop();
    if (child->pid > 0) ::kill(child->pid, SIGTERM);
  }
  kill_timer_.start(timeout_ms, [this] {
    for (auto& child : children_) {
      if (child->pid > 0) {
        TERN_LOG_WARNING("%s pid %d did not stop in time; killing it", child->spec.name.c_str(), child->pid);
        ::kill(child->pid, SIGKILL);
      }
    }
  });
  check_all_stopped();
}

void Supervisor::check_all_stopped() {
  for (auto& child : children_) {
    if (child->pid > 0) return;
  }
  kill_timer_.stop();
  if (stopped_) {
    auto done = std::move(stopped_);
    stopped_ = nullptr;
    done();
  }
}

std::vector<ChildStatus> Supervisor::status() const {
  std::vector<ChildStatus> out;
  for (const auto& child : children_) {
    ChildStatus s;
    s.name = child->spec.name;
    s.instance = child->instance;
    s.pid = child->pid;
    s.started_us = child->pid > 0 ? child->started_us : 0;
    s.restarts = child->restarts;
    s.state = child->pid > 0 ? "running" : child->given_up ? "given-up" : stopping_ ? "stopped" : "restarting";
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace tern::master

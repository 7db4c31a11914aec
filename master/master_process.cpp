// Master's preparation, loop, reload and stop.
#include "master/master_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "common/ipc/listener.h"
#include "common/log/log.h"
#include "common/process/privileges.h"
#include "common/spool/file_io.h"
#include "common/spool/layout.h"
#include "common/spool/spool_scan.h"
#include "common/tables/content_checks.h"
#include "common/uv/loop.h"
#include "common/uv/signal.h"
#include "master/control_server.h"
#include "master/programs.h"
#include "master/supervisor.h"
#include "tern_build_config.h"

namespace tern::master {

struct MasterProcess::Running {
  uv::Loop loop;
  std::unique_ptr<Supervisor> supervisor;
  std::unique_ptr<ControlServer> control;
  std::vector<std::unique_ptr<uv::SignalWatcher>> signals;
  bool stopping = false;
};

namespace {

RestartPolicy restart_policy_from(const config::Config& config) {
  return RestartPolicy(static_cast<uint64_t>(config.get_time("master_restart_max_backoff")) * 1000,
                       static_cast<uint32_t>(config.get_int("master_restart_give_up")));
}

void log_warnings(const std::vector<config::Diagnostic>& warnings) {
  for (const auto& w : warnings) TERN_LOG_WARNING("%s", w.to_string().c_str());
}

}  // namespace

MasterProcess::MasterProcess(Options options, config::Config config)
    : options_(std::move(options)), config_(std::move(config)) {}

MasterProcess::~MasterProcess() {
  running_.reset();
  for (const auto& f : ipc_fds_) ::close(f.fd);
  if (control_fd_ >= 0) ::close(control_fd_);
  for (int fd : liveness_pipe_) {
    if (fd >= 0) ::close(fd);
  }
}

namespace {

// The files smtpd `pid` (or every smtpd, before any runs) claimed in free/ and did not turn
// into queue files: nobody will write them now (spool::clean_claimed_files).
void remove_claimed_files(const std::string& spool, std::optional<int> pid) {
  auto spool_fd = spool::open_directory(AT_FDCWD, spool);
  auto cleaned = spool_fd ? spool::clean_claimed_files(spool_fd->get(), pid) : Result<int>(std::unexpected(spool_fd.error()));
  if (!cleaned) TERN_LOG_WARNING("cleaning %s/free: %s", spool.c_str(), cleaned.error().message.c_str());
}

}  // namespace

Result<std::unique_ptr<MasterProcess>> MasterProcess::prepare(const Options& options) {
  std::vector<config::Diagnostic> warnings;
  auto config = config::Config::load(options.config_directory, &warnings);
  if (!config) return std::unexpected(config.error());
  log::set_syslog_name(config->get("syslog_name"));
  log_warnings(warnings);
  // A bad header_checks or body_checks table stops start-up here, with its file:line, rather
  // than in every smtpd that master would restart.
  std::vector<std::string> check_warnings;
  if (auto checks = tables::ContentChecks::load(*config, &check_warnings); !checks)
    return std::unexpected(checks.error());
  std::unique_ptr<MasterProcess> master(new MasterProcess(options, std::move(*config)));
  const config::Config& cfg = master->config_;

  std::string spool = cfg.get("spool_directory");
  auto owner = process::spool_owner(cfg.get("tern_user"));
  if (!owner) return fail("tern_user: " + owner.error().message);
  if (auto made = spool::create_spool_tree(spool, owner->uid, owner->gid, process::running_as_root()); !made) {
    return std::unexpected(made.error());
  }
  auto pid_file = process::PidFile::acquire(spool + "/pid/master.pid");
  if (!pid_file) return std::unexpected(pid_file.error());
  master->pid_file_ = std::make_unique<process::PidFile>(std::move(*pid_file));
  // No smtpd runs yet: what the last run's claimed in free/ goes (recycled_files.h).
  remove_claimed_files(spool, std::nullopt);
  if (auto bound = master->listeners_.update(cfg); !bound) return std::unexpected(bound.error());
  if (auto made = master->create_ipc_sockets(); !made) return std::unexpected(made.error());
  if (::pipe2(master->liveness_pipe_, O_CLOEXEC) != 0) return fail_errno("pipe", errno);
  return master;
}

Result<bool> MasterProcess::open_maillog_file() {
  std::string path = config_.get("maillog_file");
  if (path.empty()) return false;
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
  if (fd < 0) return fail_errno("maillog_file " + path, errno);
  if (::dup2(fd, 2) < 0) {
    int err = errno;
    ::close(fd);
    return fail_errno("maillog_file " + path + ": dup2", err);
  }
  ::close(fd);
  maillog_ = true;
  return true;
}

Result<void> MasterProcess::create_ipc_sockets() {
  std::string spool = config_.get("spool_directory");
  auto owner = process::spool_owner(config_.get("tern_user"));
  if (!owner) return std::unexpected(owner.error());
  for (const auto& socket : kIpcSockets) {
    auto fd = ipc::listen_unix(spool + "/" + socket.path, socket.public_socket ? 0666 : 0600, owner->uid, owner->gid);
    if (!fd) return std::unexpected(fd.error());
    ipc_fds_.push_back({socket.program, *fd});
  }
  auto control = ipc::listen_unix(spool + "/" + kControlSocket, 0600, ::geteuid(), ::getegid());
  if (!control) return std::unexpected(control.error());
  control_fd_ = *control;
  return {};
}

int MasterProcess::run() {
  running_ = std::make_unique<Running>();
  uv_loop_t* loop = running_->loop.get();

  SupervisorSettings settings;
  settings.daemon_directory = config_.get("daemon_directory");
  settings.config_directory = options_.config_directory;
  settings.log_to_stderr = options_.foreground || maillog_;
  settings.master_pipe_fd = liveness_pipe_[0];
  settings.restart_policy = restart_policy_from(config_);
  settings.on_child_exit = [spool = config_.get("spool_directory")](const std::string& program, int pid) {
    if (program == "smtpd") remove_claimed_files(spool, pid);
  };
  running_->supervisor = std::make_unique<Supervisor>(loop, settings);

  auto stop = [this, loop](const char* why) {
    if (running_->stopping) return;
    running_->stopping = true;
    TERN_LOG_INFO("terminating on %s", why);
    uint64_t bound_ms = static_cast<uint64_t>(config_.get_time("daemon_shutdown_timeout")) * 1000;
    running_->supervisor->stop_all(bound_ms, [loop] { uv_stop(loop); });
  };
  auto add_signal = [this, loop](int signum, std::function<void()> callback) {
    running_->signals.push_back(std::make_unique<uv::SignalWatcher>(loop, signum, std::move(callback)));
  };
  add_signal(SIGTERM, [stop] { stop("SIGTERM"); });
  add_signal(SIGINT, [stop] { stop("SIGINT"); });
  add_signal(SIGHUP, [this] { reload(); });

  ControlHandlers handlers;
  handlers.status = [this] { return running_->supervisor->status(); };
  handlers.reload = [this] { reload(); };
  handlers.stop = [stop] { stop("ternctl stop"); };
  running_->control = std::make_unique<ControlServer>(loop, control_fd_, std::move(handlers));

  TERN_LOG_INFO("daemon started -- version %s, configuration %s", TERN_VERSION,
                options_.config_directory.c_str());
  running_->supervisor->start(program_specs(config_, ipc_fds_, listeners_.fds()));
  running_->loop.run();
  TERN_LOG_INFO("stopped");
  running_.reset();
  return 0;
}

void MasterProcess::reload() {
  if (running_->stopping) return;
  std::vector<config::Diagnostic> warnings;
  auto fresh = config::Config::load(options_.config_directory, &warnings);
  if (!fresh) {
    TERN_LOG_ERROR("reload refused, keeping the running configuration:\n%s", fresh.error().message.c_str());
    return;
  }
  log_warnings(warnings);
  std::vector<std::string> check_warnings;
  if (auto checks = tables::ContentChecks::load(*fresh, &check_warnings); !checks) {
    TERN_LOG_ERROR("reload refused, keeping the running configuration: %s", checks.error().message.c_str());
    return;
  }
  int old_instances = smtpd_instances(config_);
  std::string old_maillog = config_.get("maillog_file");
  auto changed = listeners_.update(*fresh);
  if (!changed) {
    TERN_LOG_ERROR("reload refused, keeping the running configuration: %s", changed.error().message.c_str());
    return;
  }
  config_ = std::move(*fresh);
  log::Level level;
  if (log::parse_level(config_.get("log_level"), &level)) log::set_level(level);
  log::set_syslog_name(config_.get("syslog_name"));
  if (config_.get("maillog_file") != old_maillog) {
    TERN_LOG_WARNING("maillog_file changed: the new file takes effect when tern restarts");
  }
  running_->supervisor->set_restart_policy(restart_policy_from(config_));
  running_->supervisor->signal_all(SIGHUP);
  if (smtpd_instances(config_) != old_instances) {
    TERN_LOG_WARNING("smtpd_process_count changed: the new count takes effect when tern restarts");
  }
  if (*changed) {
    // New listeners: restart smtpd with the new socket set (others keep running).
    for (auto& spec : program_specs(config_, ipc_fds_, listeners_.fds())) {
      if (spec.name == "smtpd") running_->supervisor->replace(spec);
    }
  }
  TERN_LOG_INFO("reload -- configuration %s", options_.config_directory.c_str());
}

Result<void> daemonize() {
  pid_t pid = ::fork();
  if (pid < 0) return fail_errno("fork", errno);
  if (pid > 0) ::_exit(0);
  if (::setsid() < 0) return fail_errno("setsid", errno);
  int null_fd = ::open("/dev/null", O_RDWR);
  if (null_fd >= 0) {
    ::dup2(null_fd, 0);
    ::dup2(null_fd, 1);
    ::dup2(null_fd, 2);
    if (null_fd > 2) ::close(null_fd);
  }
  return {};
}

}  // namespace tern::master

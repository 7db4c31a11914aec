// The shared start-up, signal handling and shutdown of Tern's daemons.
#include "common/process/service.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/log/log.h"
#include "common/process/malloc_tuning.h"
#include "common/process/privileges.h"
#include "common/uv/handle.h"
#include "common/uv/loop.h"
#include "common/uv/signal.h"
#include "common/uv/timer.h"
#include "common/uv/turn_end.h"

namespace tern::process {
namespace {

struct Options {
  const char* config_dir = nullptr;
};

bool parse_options(int argc, char** argv, Options* out) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
      out->config_dir = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [-c config_directory]\n", argv[0]);
      return false;
    }
  }
  return true;
}

void apply_log_settings(const config::Config& config) {
  log::Level level = log::Level::kInfo;
  if (log::parse_level(config.get("log_level"), &level)) log::set_level(level);
  log::set_syslog_name(config.get("syslog_name"));
}

// Watches the read end of master's liveness pipe: master holds the write end, so EOF here
// means master is gone and this process must stop too.
class MasterWatch {
 public:
  MasterWatch(uv_loop_t* loop, int fd, std::function<void()> on_gone) : on_gone_(std::move(on_gone)) {
    auto* raw = new uv_poll_t;
    if (uv_poll_init(loop, raw, fd) != 0) {
      delete raw;
      return;
    }
    raw->data = this;
    handle_ = uv::UvHandle<uv_poll_t>(raw);
    uv_poll_start(raw, UV_READABLE | UV_DISCONNECT, &MasterWatch::on_event);
  }

 private:
  static void on_event(uv_poll_t* p, int, int) {
    auto* self = static_cast<MasterWatch*>(p->data);
    if (self == nullptr) return;
    uv_poll_stop(p);
    self->on_gone_();
  }
  uv::UvHandle<uv_poll_t> handle_;
  std::function<void()> on_gone_;
};

// Writes the turn's batched log lines right before the loop waits for events (log.h).
class LogFlushEachTurn {
 public:
  explicit LogFlushEachTurn(uv_loop_t* loop) : turn_end_(loop, &log::flush, uv::TurnEnd::Repeat::kEveryTurn) {
    turn_end_.arm();
    turn_end_.unref();
    log::set_batching(true);
  }
  ~LogFlushEachTurn() { log::set_batching(false); }

 private:
  uv::TurnEnd turn_end_;
};

}  // namespace

void init_logging_from_environment(const char* program) {
  const char* to_stderr = std::getenv("TERN_LOG_STDERR");
  bool use_stderr = to_stderr != nullptr && std::strcmp(to_stderr, "1") == 0;
  log::init(program, use_stderr ? log::Sink::kStderr : log::Sink::kSyslog);
}

int run_service(int argc, char** argv, const ServiceInfo& info, const ServiceFactory& factory) {
  Options options;
  if (!parse_options(argc, argv, &options)) return 64;
  tune_malloc_for_steady_load();
  init_logging_from_environment(info.name);
  ::signal(SIGPIPE, SIG_IGN);

  std::string config_dir = config::config_directory_from(options.config_dir);
  std::vector<config::Diagnostic> warnings;
  auto config = config::Config::load(config_dir, &warnings);
  if (!config) {
    TERN_LOG_FATAL("%s", config.error().message.c_str());
    return 1;
  }
  apply_log_settings(*config);

  auto fds = InheritedFds::from_environment();
  if (!fds) {
    TERN_LOG_FATAL("%s", fds.error().message.c_str());
    return 1;
  }
  std::string spool = config->get("spool_directory");
  if (::chdir(spool.c_str()) != 0) {
    TERN_LOG_FATAL("chdir %s: %s", spool.c_str(), std::strerror(errno));
    return 1;
  }
  if (!info.keep_root) {
    if (auto dropped = drop_privileges(config->get("tern_user")); !dropped) {
      TERN_LOG_FATAL("%s", dropped.error().message.c_str());
      return 1;
    }
  }

  if (info.work_threads > 0) ::setenv("UV_THREADPOOL_SIZE", std::to_string(info.work_threads).c_str(), 0);
  uv::Loop loop;
  ServiceContext context;
  context.loop = loop.get();
  context.config = *config;
  context.fds = std::move(*fds);
  context.name = info.name;
  if (const char* instance = std::getenv("TERN_INSTANCE")) context.instance = std::atoi(instance);

  auto service = factory(context);
  if (!service) {
    TERN_LOG_FATAL("%s", service.error().message.c_str());
    return 1;
  }

  bool stopping = false;
  uv::Timer shutdown_bound(loop.get());
  auto begin_shutdown = [&](const char* why) {
    if (stopping) return;
    stopping = true;
    TERN_LOG_INFO("stopping (%s)", why);
    int64_t bound_s = context.config.get_time("daemon_shutdown_timeout");
    shutdown_bound.start(static_cast<uint64_t>(bound_s) * 1000, [&loop] {
      TERN_LOG_WARNING("shutdown did not finish in time; exiting anyway");
      loop.stop();
    });
    (*service)->shutdown([&loop] { loop.stop(); });
  };

  uv::SignalWatcher on_term(loop.get(), SIGTERM, [&] { begin_shutdown("SIGTERM"); });
  uv::SignalWatcher on_int(loop.get(), SIGINT, [&] { begin_shutdown("SIGINT"); });
  uv::SignalWatcher on_hup(loop.get(), SIGHUP, [&] {
    auto fresh = config::Config::load(config_dir);
    if (!fresh) {
      TERN_LOG_ERROR("reload: keeping the old configuration: %s", fresh.error().message.c_str());
      return;
    }
    context.config = *fresh;
    apply_log_settings(*fresh);
    (*service)->reload(*fresh);
    TERN_LOG_INFO("reloaded configuration");
  });
  on_term.unref();
  on_int.unref();
  on_hup.unref();
  std::unique_ptr<MasterWatch> master_watch;
  if (int fd = context.fds.first("master"); fd >= 0) {
    master_watch = std::make_unique<MasterWatch>(loop.get(), fd, [&] { begin_shutdown("master went away"); });
  }

  LogFlushEachTurn log_flush(loop.get());
  TERN_LOG_INFO("daemon started");
  loop.run();
  service->reset();
  return 0;
}

}  // namespace tern::process

// Non-blocking log sinks: stderr through a private non-blocking file description, or syslog
// through a connected unix datagram socket sent with MSG_DONTWAIT; and the batch flush() empties.
#include "common/log/log.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <new>
#include <vector>

namespace tern::log {
namespace {

struct LoggerState {
  std::string syslog_name = "tern";  // the part before the slash: syslog_name
  std::string program = "tern";
  Sink sink = Sink::kStderr;
  Level min_level = Level::kInfo;
  int fd = 2;
  bool fd_owned = false;
  std::string hostname;
  std::atomic<uint64_t> dropped{0};
  // getpid() is a system call in glibc; every line needs it, so it is read once and again in
  // each forked child (pthread_atfork, registered by init()).
  std::atomic<int> pid{0};
  // The batch (set_batching): lines end to end, and where each one ends (a syslog datagram per
  // line). Worker threads log too, hence the mutex.
  std::mutex batch_mutex;
  bool batching = false;
  std::string batch;
  std::vector<size_t> batch_ends;
};

constexpr size_t kBatchLimit = 32 * 1024;
constexpr size_t kSyslogBatch = 64;  // datagrams per sendmmsg()

// The process-wide logger (see the header for why this one piece of state is global).
LoggerState& state() {
  static LoggerState s;
  return s;
}

const char* prefix(Level level) {
  switch (level) {
    case Level::kDebug: return "debug: ";
    case Level::kInfo: return "";
    case Level::kWarning: return "warning: ";
    case Level::kError: return "error: ";
    case Level::kFatal: return "fatal: ";
  }
  return "";
}

int syslog_severity(Level level) {
  switch (level) {
    case Level::kDebug: return 7;
    case Level::kInfo: return 6;
    case Level::kWarning: return 4;
    case Level::kError: return 3;
    case Level::kFatal: return 2;
  }
  return 6;
}

// A fresh file description for stderr, so O_NONBLOCK does not leak into the terminal or the
// pipe that the parent shares. Falls back to fd 2 itself.
int open_nonblocking_stderr() {
  int fd = ::open("/proc/self/fd/2", O_WRONLY | O_APPEND | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  return fd >= 0 ? fd : 2;
}

int open_syslog_socket() {
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, "/dev/log", sizeof(addr.sun_path) - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool sink_ready(LoggerState& s) {
  if (s.fd < 0 && s.sink == Sink::kSyslog) {
    s.fd = open_syslog_socket();  // the syslog daemon may have come back
    s.fd_owned = s.fd >= 0;
  }
  return s.fd >= 0;
}

void syslog_failed(LoggerState& s) {
  if (errno == EAGAIN || errno == EWOULDBLOCK) return;
  ::close(s.fd);
  s.fd = -1;
  s.fd_owned = false;
}

// Writes `count` lines laid end to end in `text` (line i ends at ends[i]); lines the sink does
// not take at once are dropped and counted. Called with batch_mutex held.
void write_lines(LoggerState& s, std::string_view text, const size_t* ends, size_t count) {
  if (count == 0) return;
  if (!sink_ready(s)) {
    s.dropped.fetch_add(count, std::memory_order_relaxed);
    return;
  }
  if (s.sink == Sink::kStderr) {
    ssize_t n = ::write(s.fd, text.data(), text.size());
    size_t written = n > 0 ? static_cast<size_t>(n) : 0;
    size_t whole = 0;
    while (whole < count && ends[whole] <= written) ++whole;
    s.dropped.fetch_add(count - whole, std::memory_order_relaxed);
    return;
  }
  size_t done = 0;
  while (done < count) {
    mmsghdr messages[kSyslogBatch] = {};
    iovec iovs[kSyslogBatch];
    size_t group = std::min(count - done, kSyslogBatch);
    for (size_t i = 0; i < group; ++i) {
      size_t begin = done + i == 0 ? 0 : ends[done + i - 1];
      iovs[i] = {const_cast<char*>(text.data()) + begin, ends[done + i] - begin};
      messages[i].msg_hdr.msg_iov = &iovs[i];
      messages[i].msg_hdr.msg_iovlen = 1;
    }
    int sent = ::sendmmsg(s.fd, messages, static_cast<unsigned>(group), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent <= 0) {
      s.dropped.fetch_add(count - done, std::memory_order_relaxed);
      if (sent < 0) syslog_failed(s);
      return;
    }
    done += static_cast<size_t>(sent);
  }
}

// Called with batch_mutex held.
void flush_batch(LoggerState& s) {
  write_lines(s, s.batch, s.batch_ends.data(), s.batch_ends.size());
  s.batch.clear();
  s.batch_ends.clear();
}

void emit(LoggerState& s, Level level, const char* line, size_t len) {
  std::lock_guard<std::mutex> lock(s.batch_mutex);
  if (s.batching) {
    s.batch.append(line, len);
    s.batch_ends.push_back(s.batch.size());
    if (level >= Level::kError || s.batch.size() >= kBatchLimit) flush_batch(s);
    return;
  }
  size_t end = len;
  write_lines(s, std::string_view(line, len), &end, 1);
}

void flush_at_exit() {
  LoggerState& s = state();
  std::lock_guard<std::mutex> lock(s.batch_mutex);
  flush_batch(s);
}

void remember_pid() { state().pid.store(static_cast<int>(::getpid()), std::memory_order_relaxed); }

// In a forked child: the parent writes the lines batched so far; the child writes its own at
// once (it runs no loop to flush them). The mutex is not taken: a child of a threaded process
// may find it held by a thread that does not exist in the child.
void forget_batch_in_child() {
  LoggerState& s = state();
  new (&s.batch_mutex) std::mutex;
  s.batching = false;
  s.batch.clear();
  s.batch_ends.clear();
}

void after_fork_in_child() {
  remember_pid();
  forget_batch_in_child();
}

int logged_pid(const LoggerState& s) {
  int pid = s.pid.load(std::memory_order_relaxed);
  return pid != 0 ? pid : static_cast<int>(::getpid());  // a line before init()
}

}  // namespace

void init(std::string_view program, Sink sink, Level min_level) {
  LoggerState& s = state();
  static const bool registered = ::pthread_atfork(nullptr, nullptr, &after_fork_in_child) == 0 &&
                                  std::atexit(&flush_at_exit) == 0;
  (void)registered;
  remember_pid();
  std::lock_guard<std::mutex> lock(s.batch_mutex);
  flush_batch(s);  // to the sink they were meant for
  if (s.fd_owned) ::close(s.fd);
  s.program.assign(program);
  s.sink = sink;
  s.min_level = min_level;
  s.fd = sink == Sink::kSyslog ? open_syslog_socket() : open_nonblocking_stderr();
  s.fd_owned = s.fd > 2;
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) == 0) {
    s.hostname = host;
    auto dot = s.hostname.find('.');
    if (dot != std::string::npos) s.hostname.resize(dot);
  }
}

void set_level(Level min_level) { state().min_level = min_level; }

void set_syslog_name(std::string_view name) {
  if (!name.empty()) state().syslog_name.assign(name);
}

bool parse_level(std::string_view text, Level* out) {
  if (text == "debug") *out = Level::kDebug;
  else if (text == "info") *out = Level::kInfo;
  else if (text == "warning") *out = Level::kWarning;
  else if (text == "error") *out = Level::kError;
  else return false;
  return true;
}

void vwrite(Level level, const char* fmt, va_list args) {
  LoggerState& s = state();
  if (level < s.min_level) return;
  char line[4096];
  size_t used = 0;
  if (s.sink == Sink::kSyslog) {
    used = std::snprintf(line, sizeof(line), "<%d>%s/%s[%d]: %s", 2 * 8 + syslog_severity(level),
                         s.syslog_name.c_str(), s.program.c_str(), logged_pid(s), prefix(level));
  } else {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::localtime_r(&now, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
    used = std::snprintf(line, sizeof(line), "%s %s %s/%s[%d]: %s", stamp, s.hostname.c_str(),
                         s.syslog_name.c_str(), s.program.c_str(), logged_pid(s), prefix(level));
  }
  if (used >= sizeof(line) - 2) used = sizeof(line) - 2;
  int n = std::vsnprintf(line + used, sizeof(line) - used - 1, fmt, args);
  if (n < 0) n = 0;
  used += static_cast<size_t>(n);
  if (used > sizeof(line) - 2) used = sizeof(line) - 2;  // truncated: keep one line
  // Never let a logged value (a client's HELO, say) split the line or forge another one.
  for (size_t i = 0; i < used; ++i) {
    if (line[i] == '\n' || line[i] == '\r') line[i] = ' ';
  }
  if (s.sink == Sink::kStderr) line[used++] = '\n';
  emit(s, level, line, used);
}

void write(Level level, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  vwrite(level, fmt, args);
  va_end(args);
}

uint64_t dropped_lines() { return state().dropped.load(std::memory_order_relaxed); }

void set_batching(bool on) {
  LoggerState& s = state();
  std::lock_guard<std::mutex> lock(s.batch_mutex);
  if (!on) flush_batch(s);
  s.batching = on;
}

void flush() {
  LoggerState& s = state();
  std::lock_guard<std::mutex> lock(s.batch_mutex);
  flush_batch(s);
}

}  // namespace tern::log

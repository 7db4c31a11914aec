// Helpers for IPC tests on a real libuv loop: every wait is bounded, so a broken test fails
// instead of hanging.
#pragma once

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>

#include "common/uv/loop.h"
#include "common/uv/timer.h"

namespace tern::ipc::testing {

inline constexpr uint64_t kTestDeadlineMs = 5000;

// Runs the loop until `done()` holds; fails the test after kTestDeadlineMs.
inline bool run_until(uv::Loop& loop, const std::function<bool()>& done,
                      uint64_t deadline_ms = kTestDeadlineMs) {
  bool expired = false;
  uv::Timer deadline(loop.get());
  deadline.start(deadline_ms, [&] { expired = true; });
  while (!done() && !expired) uv_run(loop.get(), UV_RUN_ONCE);
  CHECK_MESSAGE(!expired, "timed out waiting on the loop");
  return !expired;
}

// Runs the loop for `ms` milliseconds (to show that something does NOT happen).
inline void run_for(uv::Loop& loop, uint64_t ms) {
  bool expired = false;
  uv::Timer timer(loop.get());
  timer.start(ms, [&] { expired = true; });
  while (!expired) uv_run(loop.get(), UV_RUN_ONCE);
}

// A connected unix stream socket pair, both ends close-on-exec, blocking.
inline std::pair<int, int> socket_pair() {
  signal(SIGPIPE, SIG_IGN);  // as every program does at start-up
  int fds[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
  return {fds[0], fds[1]};
}

// Writes all of `bytes` to a blocking fd.
inline void write_raw(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    REQUIRE(n > 0);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

// A fresh directory under /tmp, removed with its contents at the end of the test.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/tern-ipc-test-XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace tern::ipc::testing

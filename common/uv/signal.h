// SignalWatcher: a libuv signal handler (SIGTERM, SIGHUP, SIGCHLD ...) as a std::function,
// run on the loop thread, never in signal context.
#pragma once

#include <functional>

#include "common/uv/handle.h"

namespace tern::uv {

class SignalWatcher {
 public:
  SignalWatcher(uv_loop_t* loop, int signum, std::function<void()> callback);
  SignalWatcher(SignalWatcher&&) = delete;
  void unref();

 private:
  static void on_signal(uv_signal_t* s, int signum);
  UvHandle<uv_signal_t> handle_;
  std::function<void()> callback_;
};

}  // namespace tern::uv

// Timer: a one-shot or repeating libuv timer whose callback is a std::function.
// Destroying the Timer stops it; the callback never runs after that.
#pragma once

#include <cstdint>
#include <functional>

#include "common/uv/handle.h"

namespace tern::uv {

class Timer {
 public:
  explicit Timer(uv_loop_t* loop);
  Timer(Timer&&) = delete;  // libuv holds a pointer to this object in handle->data

  void start(uint64_t delay_ms, std::function<void()> callback);
  void start_repeating(uint64_t interval_ms, std::function<void()> callback);
  void stop();
  bool active() const;
  // Keeps the loop from waiting on this timer alone (uv_unref).
  void unref();

 private:
  static void on_timer(uv_timer_t* t);
  UvHandle<uv_timer_t> handle_;
  std::function<void()> callback_;
};

}  // namespace tern::uv

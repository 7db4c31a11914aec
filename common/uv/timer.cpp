// Timer over uv_timer_t.
#include "common/uv/timer.h"

#include "common/check.h"

namespace tern::uv {

Timer::Timer(uv_loop_t* loop) {
  auto* raw = new uv_timer_t;
  TERN_CHECK(uv_timer_init(loop, raw) == 0);
  raw->data = this;
  handle_ = UvHandle<uv_timer_t>(raw);
}

void Timer::start(uint64_t delay_ms, std::function<void()> callback) {
  callback_ = std::move(callback);
  uv_timer_start(handle_.get(), &Timer::on_timer, delay_ms, 0);
}

void Timer::start_repeating(uint64_t interval_ms, std::function<void()> callback) {
  callback_ = std::move(callback);
  uv_timer_start(handle_.get(), &Timer::on_timer, interval_ms, interval_ms);
}

void Timer::stop() { uv_timer_stop(handle_.get()); }

bool Timer::active() const { return uv_is_active(handle_.handle()) != 0; }

void Timer::unref() { uv_unref(handle_.handle()); }

void Timer::on_timer(uv_timer_t* t) {
  auto* self = static_cast<Timer*>(t->data);
  if (self == nullptr || !self->callback_) return;
  // Copy: the callback may restart this timer with a new callback.
  auto callback = self->callback_;
  callback();
}

}  // namespace tern::uv

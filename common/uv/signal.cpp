// SignalWatcher over uv_signal_t.
#include "common/uv/signal.h"

#include "common/check.h"

namespace tern::uv {

SignalWatcher::SignalWatcher(uv_loop_t* loop, int signum, std::function<void()> callback)
    : callback_(std::move(callback)) {
  auto* raw = new uv_signal_t;
  TERN_CHECK(uv_signal_init(loop, raw) == 0);
  raw->data = this;
  handle_ = UvHandle<uv_signal_t>(raw);
  TERN_CHECK(uv_signal_start(raw, &SignalWatcher::on_signal, signum) == 0);
}

void SignalWatcher::unref() { uv_unref(handle_.handle()); }

void SignalWatcher::on_signal(uv_signal_t* s, int) {
  auto* self = static_cast<SignalWatcher*>(s->data);
  if (self != nullptr && self->callback_) self->callback_();
}

}  // namespace tern::uv

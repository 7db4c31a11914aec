// TurnEnd over a uv_prepare handle that stops itself before it runs the callback.
#include "common/uv/turn_end.h"

#include "common/check.h"

namespace tern::uv {

TurnEnd::TurnEnd(uv_loop_t* loop, std::function<void()> callback) : callback_(std::move(callback)) {
  auto* raw = new uv_prepare_t;
  TERN_CHECK(uv_prepare_init(loop, raw) == 0);
  raw->data = this;
  handle_ = UvHandle<uv_prepare_t>(raw);
}

void TurnEnd::arm() {
  if (!uv_is_active(handle_.handle())) uv_prepare_start(handle_.get(), &TurnEnd::on_prepare);
}

void TurnEnd::disarm() { uv_prepare_stop(handle_.get()); }

void TurnEnd::on_prepare(uv_prepare_t* p) {
  uv_prepare_stop(p);
  auto* self = static_cast<TurnEnd*>(p->data);
  if (self != nullptr) self->callback_();
}

}  // namespace tern::uv

// TurnEnd over a uv_prepare handle that, when armed once, stops itself before it runs the
// callback.
#include "common/uv/turn_end.h"

#include "common/check.h"

namespace tern::uv {

TurnEnd::TurnEnd(uv_loop_t* loop, std::function<void()> callback, Repeat repeat)
    : callback_(std::move(callback)), repeat_(repeat) {
  auto* raw = new uv_prepare_t;
  TERN_CHECK(uv_prepare_init(loop, raw) == 0);
  raw->data = this;
  handle_ = UvHandle<uv_prepare_t>(raw);
}

void TurnEnd::arm() {
  if (!uv_is_active(handle_.handle())) uv_prepare_start(handle_.get(), &TurnEnd::on_prepare);
}

void TurnEnd::disarm() { uv_prepare_stop(handle_.get()); }

void TurnEnd::unref() { uv_unref(handle_.handle()); }

void TurnEnd::on_prepare(uv_prepare_t* p) {
  auto* self = static_cast<TurnEnd*>(p->data);
  if (self == nullptr) return;
  if (self->repeat_ == Repeat::kOnce) uv_prepare_stop(p);
  self->callback_();
}

}  // namespace tern::uv

// Loop set-up and a tidy close.
#include "common/uv/loop.h"

#include "common/check.h"

namespace tern::uv {

Loop::Loop() { TERN_CHECK(uv_loop_init(&loop_) == 0); }

Loop::~Loop() {
  // Close whatever is still open (owners normally did it), then let the close callbacks run.
  uv_walk(&loop_, [](uv_handle_t* h, void*) {
    if (!uv_is_closing(h)) uv_close(h, nullptr);
  }, nullptr);
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_loop_close(&loop_);
}

}  // namespace tern::uv

// TurnEnd: runs a callback once, at the end of the current loop turn (a uv_prepare, which libuv
// runs right before it waits for events), after every callback of the turn has run. Code that
// produces output in many callbacks of one turn arms it and writes everything at once: one
// system call, and one wake-up of the reader, instead of one per piece.
// Destroying the TurnEnd disarms it; the callback never runs after that, and must not destroy
// the TurnEnd itself.
#pragma once

#include <functional>

#include "common/uv/handle.h"

namespace tern::uv {

class TurnEnd {
 public:
  TurnEnd(uv_loop_t* loop, std::function<void()> callback);
  TurnEnd(TurnEnd&&) = delete;  // libuv holds a pointer to this object in handle->data

  // Idempotent until the callback has run.
  void arm();
  void disarm();

 private:
  static void on_prepare(uv_prepare_t* p);
  UvHandle<uv_prepare_t> handle_;
  std::function<void()> callback_;
};

}  // namespace tern::uv

// TurnEnd: runs a callback at the end of the current loop turn (a uv_prepare, which libuv runs
// right before it waits for events), after every callback of the turn has run: once per arm(),
// or at the end of every turn (kEveryTurn). Code that produces output in many callbacks of one
// turn arms it and writes everything at once: one system call, and one wake-up of the reader,
// instead of one per piece.
// Destroying the TurnEnd disarms it; the callback never runs after that, and must not destroy
// the TurnEnd itself.
#pragma once

#include <functional>

#include "common/uv/handle.h"

namespace tern::uv {

class TurnEnd {
 public:
  enum class Repeat { kOnce, kEveryTurn };
  TurnEnd(uv_loop_t* loop, std::function<void()> callback, Repeat repeat = Repeat::kOnce);
  TurnEnd(TurnEnd&&) = delete;  // libuv holds a pointer to this object in handle->data

  // Idempotent until the callback has run (kOnce), or until disarm() (kEveryTurn).
  void arm();
  void disarm();
  // Keeps the loop from running on for this handle alone (uv_unref).
  void unref();

 private:
  static void on_prepare(uv_prepare_t* p);
  UvHandle<uv_prepare_t> handle_;
  std::function<void()> callback_;
  Repeat repeat_;
};

}  // namespace tern::uv

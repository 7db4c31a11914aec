// Loop: the one libuv loop of a program, owned by its main(). Closing walks every handle left
// open so that the loop can be closed cleanly at exit.
#pragma once

#include <uv.h>

namespace tern::uv {

class Loop {
 public:
  Loop();
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  uv_loop_t* get() { return &loop_; }
  int run() { return uv_run(&loop_, UV_RUN_DEFAULT); }
  void stop() { uv_stop(&loop_); }

 private:
  uv_loop_t loop_;  // the loop itself is the one uv object owned by value: it outlives all handles
};

}  // namespace tern::uv

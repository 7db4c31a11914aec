// run_on_work_pool(): runs blocking work (DNS queries, password hashing) on libuv's thread
// pool and its completion on the loop thread, so the loop never blocks (DESIGN.md §1).
// `work` runs on a pool thread and must touch nothing the loop owns; `done` runs on the loop
// thread only while `alive` still holds (the owner may have been destroyed meanwhile).
#pragma once

#include <uv.h>

#include <functional>
#include <memory>

namespace tern::lookup {

// Lives as long as its owner; completions check it before calling back into the owner.
using AliveToken = std::shared_ptr<bool>;

void run_on_work_pool(uv_loop_t* loop, const AliveToken& alive, std::function<void()> work,
                      std::function<void()> done);

}  // namespace tern::lookup

// DirectorySync: group commit for one directory. Renames into a directory (and unlinks from
// it) are durable only after an fsync() of the directory; when many messages are accepted at
// once, one fsync covers all the entries made before it started. Callers ask for "a sync that
// starts after now"; at most one fsync runs at a time in libuv's work pool, and every request
// that arrived while it ran is answered by the next one.
//
// Callbacks run on the loop thread, in request order, with the fsync's result. The directory
// fd is borrowed and must stay open while this object lives. Destroying it drops the callbacks
// that are still waiting (their owners are going away too); a sync already running finishes
// in the pool on its own.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <vector>

#include "common/result.h"

namespace tern::spool {

class DirectorySync {
 public:
  using Done = std::function<void(Result<void>)>;

  DirectorySync(uv_loop_t* loop, int dirfd);
  DirectorySync(const DirectorySync&) = delete;
  DirectorySync& operator=(const DirectorySync&) = delete;
  ~DirectorySync();

  // `done` may be empty: the sync still happens (to bound how long an unlink stays volatile).
  void request(Done done);

  // How many fsync() calls were made; for the log and the tests.
  uint64_t syncs() const;

 private:
  struct State;
  static void start(const std::shared_ptr<State>& state);
  std::shared_ptr<State> state_;
};

}  // namespace tern::spool

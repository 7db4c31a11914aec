// SharedDirectorySync: group commit of a directory's fsync() for callers on many threads, such
// as smtpd's commits, each running on a thread of the work pool. sync() returns once an fsync
// that started after the call has finished; one fsync runs at a time, and when it ends the
// callers that arrived meanwhile are all served by the next one, run by one of them. The
// caller's thread waits, so a commit needs no extra trip through the loop.
//
// The directory fd is borrowed and must stay open while this object lives; no call may still
// be waiting when it is destroyed.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

#include "common/result.h"

namespace tern::spool {

class SharedDirectorySync {
 public:
  explicit SharedDirectorySync(int dirfd) : dirfd_(dirfd) {}
  SharedDirectorySync(const SharedDirectorySync&) = delete;
  SharedDirectorySync& operator=(const SharedDirectorySync&) = delete;

  // Blocks until the directory's entries made before the call are durable (or not: the error).
  Result<void> sync();

  // How many fsync() calls were made; for the log and the tests.
  uint64_t syncs() const;

 private:
  struct Waiter {
    bool done = false;
    Result<void> result;
  };

  int dirfd_;
  mutable std::mutex mutex_;
  std::condition_variable finished_;
  bool running_ = false;
  std::vector<Waiter*> waiting_;  // arrived after the running fsync started
  uint64_t syncs_ = 0;
};

}  // namespace tern::spool

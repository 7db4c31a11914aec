// SharedDirectorySync: one fsync() of a directory serves every thread waiting for one (see
// shared_directory_sync.h).
#include "common/spool/shared_directory_sync.h"

#include "common/spool/queue_writer.h"

namespace tern::spool {

Result<void> SharedDirectorySync::sync() {
  Waiter me;
  std::unique_lock lock(mutex_);
  waiting_.push_back(&me);
  while (!me.done) {
    if (running_) {
      finished_.wait(lock);
      continue;
    }
    // Nobody is syncing: this thread runs the fsync for everyone who is waiting.
    running_ = true;
    std::vector<Waiter*> batch;
    batch.swap(waiting_);
    lock.unlock();
    Result<void> result = sync_directory(dirfd_);
    lock.lock();
    ++syncs_;
    for (Waiter* w : batch) {
      w->result = result;
      w->done = true;
    }
    running_ = false;
    finished_.notify_all();
  }
  return me.result;
}

uint64_t SharedDirectorySync::syncs() const {
  std::lock_guard lock(mutex_);
  return syncs_;
}

}  // namespace tern::spool

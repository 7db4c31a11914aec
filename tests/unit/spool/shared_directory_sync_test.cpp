// Tests for SharedDirectorySync, the group commit of a directory's fsync across threads: every
// caller is answered (none is left waiting), and a failed fsync reaches every caller it covered.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "common/spool/shared_directory_sync.h"
#include "tests/unit/spool/spool_test_util.h"

namespace tern::spool {
namespace {

using testing::TempSpool;

TEST_CASE("one caller gets one fsync of its own") {
  TempSpool spool;
  SharedDirectorySync sync(spool.queue_fd());
  CHECK(sync.sync().has_value());
  CHECK(sync.sync().has_value());
  CHECK(sync.syncs() == 2);
}

TEST_CASE("callers on many threads are all answered") {
  TempSpool spool;
  SharedDirectorySync sync(spool.queue_fd());
  constexpr int kThreads = 16;
  constexpr int kCallsEach = 20;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCallsEach; ++i)
        if (sync.sync().has_value()) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(ok == kThreads * kCallsEach);
  CHECK(sync.syncs() >= 1);
  MESSAGE("fsyncs for " << kThreads * kCallsEach << " calls: " << sync.syncs());
}

TEST_CASE("a failed fsync is every covered caller's error") {
  SharedDirectorySync sync(-1);  // EBADF
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      auto r = sync.sync();
      if (!r && r.error().code == EBADF) ++failed;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failed == 4);
}

}  // namespace
}  // namespace tern::spool

// Tests for DirectorySync, the group commit of a directory: requests made while a sync runs
// share the next one, every callback runs once in request order, and a failed fsync reaches
// every caller it covered.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "common/spool/directory_sync.h"
#include "common/uv/loop.h"
#include "tests/unit/spool/spool_test_util.h"

namespace tern::spool {
namespace {

using testing::TempSpool;

TEST_CASE("requests made while a directory sync runs share the next one") {
  TempSpool spool;
  uv::Loop loop;
  DirectorySync sync(loop.get(), spool.queue_fd());
  std::vector<int> answered;
  for (int i = 0; i < 5; ++i) {
    sync.request([&answered, i](Result<void> r) {
      CHECK(r.has_value());
      answered.push_back(i);
    });
  }
  loop.run();
  CHECK(answered == std::vector<int>{0, 1, 2, 3, 4});
  // The first request starts a sync at once; the four made after it share a second one.
  CHECK(sync.syncs() == 2);
}

TEST_CASE("a request made from a callback gets a sync of its own") {
  TempSpool spool;
  uv::Loop loop;
  DirectorySync sync(loop.get(), spool.queue_fd());
  int answered = 0;
  sync.request([&](Result<void>) {
    ++answered;
    sync.request([&](Result<void> r) {
      CHECK(r.has_value());
      ++answered;
    });
  });
  loop.run();
  CHECK(answered == 2);
  CHECK(sync.syncs() == 2);
}

TEST_CASE("a failed directory sync is reported to every request it covered") {
  uv::Loop loop;
  DirectorySync sync(loop.get(), -1);  // fsync(-1) fails with EBADF
  int failures = 0;
  for (int i = 0; i < 3; ++i) {
    sync.request([&](Result<void> r) {
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().code == EBADF);
      ++failures;
    });
  }
  loop.run();
  CHECK(failures == 3);
}

TEST_CASE("destroying the sync drops the callbacks still waiting") {
  TempSpool spool;
  uv::Loop loop;
  int answered = 0;
  {
    DirectorySync sync(loop.get(), spool.queue_fd());
    sync.request([&](Result<void>) { ++answered; });
    sync.request([&](Result<void>) { ++answered; });
  }
  loop.run();  // the running fsync finishes in the pool; nothing is called
  CHECK(answered == 0);
}

}  // namespace
}  // namespace tern::spool

// Tests for spool scans: listing only queue ids, moving to corrupt/, cleaning incoming/.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "common/spool/spool_scan.h"
#include "tests/unit/spool/spool_test_util.h"

namespace tern::spool {
namespace {

using testing::TempSpool;
using Names = std::vector<std::string>;

TEST_SUITE("spool.scan") {
  TEST_CASE("list_queue returns the queue ids of regular files, sorted") {
    TempSpool spool;
    testing::FakeClock clock(1'700'000'000'000'000);
    QueueIdGenerator gen(clock, 5);
    Names ids;
    for (int i = 0; i < 5; ++i) ids.push_back(gen.next());
    const std::string q = spool.path() + "/queue/";
    for (int i : {3, 0, 4, 1, 2}) REQUIRE(testing::write_file(q + ids[i], "x"));
    REQUIRE(testing::write_file(q + "README", "x"));
    REQUIRE(testing::write_file(q + ids[0] + ".tmp", "x"));
    REQUIRE(::mkdir((q + gen.next()).c_str(), 0700) == 0);        // a directory with an id name
    REQUIRE(::symlink(ids[0].c_str(), (q + gen.next()).c_str()) == 0);  // a symlink, likewise
    auto listed = list_queue(spool.fd(), "queue");
    REQUIRE(listed.has_value());
    CHECK(*listed == ids);

    auto missing = list_queue(spool.fd(), "nonexistent");
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().code == ENOENT);
  }

  TEST_CASE("move_to_corrupt never replaces a file") {
    TempSpool spool;
    const std::string id(kQueueIdLength, '7');
    const std::string q = spool.path() + "/queue/" + id;
    REQUIRE(testing::write_file(q, "first"));
    REQUIRE(move_to_corrupt(spool.fd(), "queue", id).has_value());
    REQUIRE(testing::write_file(q, "second"));
    REQUIRE(move_to_corrupt(spool.fd(), "queue", id).has_value());
    CHECK(spool.names("queue").empty());
    CHECK(spool.names("corrupt") == Names{id, id + ".1"});
    CHECK(testing::read_file(spool.path() + "/corrupt/" + id) == "first");
    CHECK(testing::read_file(spool.path() + "/corrupt/" + id + ".1") == "second");

    auto bad = move_to_corrupt(spool.fd(), "queue", "../../etc/passwd");
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().code == EINVAL);
    auto gone = move_to_corrupt(spool.fd(), "queue", id);
    REQUIRE_FALSE(gone.has_value());
    CHECK(gone.error().code == ENOENT);
  }

  TEST_CASE("clean_incoming removes every leftover and counts them") {
    struct Row {
      const char* name;
      Names files;
    };
    const Row rows[] = {
        {"empty", {}},
        {"one id", {std::string(kQueueIdLength, '1')}},
        {"ids and junk",
         {std::string(kQueueIdLength, '1'), std::string(kQueueIdLength, '2'), "junk"}},
    };
    for (const Row& row : rows) {
      INFO("row: ", row.name);
      TempSpool spool;
      for (const auto& f : row.files)
        REQUIRE(testing::write_file(spool.path() + "/incoming/" + f, "partial"));
      const std::string queued = spool.path() + "/queue/" + std::string(kQueueIdLength, '3');
      REQUIRE(testing::write_file(queued, "x"));
      auto removed = clean_incoming(spool.fd());
      REQUIRE(removed.has_value());
      CHECK(*removed == static_cast<int>(row.files.size()));
      CHECK(spool.names("incoming").empty());
      CHECK(spool.names("queue").size() == 1);  // queue/ is not touched
    }
  }
}

}  // namespace
}  // namespace tern::spool

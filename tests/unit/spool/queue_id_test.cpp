// Tests for queue ids: strictly increasing under a clock that stands still or steps back,
// distinct across processes, sortable by arrival, and validated before use as a file name.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "common/spool/queue_id.h"
#include "tests/unit/spool/spool_test_util.h"

namespace tern::spool {
namespace {

using testing::FakeClock;

constexpr int64_t kT0 = 1'700'000'000'000'000;  // November 2023, in microseconds

TEST_SUITE("spool.queue_id") {
  TEST_CASE("the alphabet sorts as its digit values") {
    for (size_t i = 1; i < kQueueIdAlphabet.size(); ++i)
      CHECK(kQueueIdAlphabet[i - 1] < kQueueIdAlphabet[i]);
    CHECK(kQueueIdAlphabet.size() == 32);
  }

  TEST_CASE("ids strictly increase whatever the clock does") {
    struct Row {
      const char* name;
      std::vector<int64_t> clock;
      std::vector<int64_t> want_time;  // the time each id encodes
    };
    const Row rows[] = {
        {"advancing", {kT0, kT0 + 1, kT0 + 50}, {kT0, kT0 + 1, kT0 + 50}},
        {"standing still", {kT0, kT0, kT0, kT0}, {kT0, kT0 + 1, kT0 + 2, kT0 + 3}},
        {"going backwards", {kT0, kT0 - 1000, kT0 - 2000}, {kT0, kT0 + 1, kT0 + 2}},
        {"back, then past the borrowed time",
         {kT0, kT0 - 5, kT0 + 1, kT0 + 100},
         {kT0, kT0 + 1, kT0 + 2, kT0 + 100}},
        {"before the epoch", {-10, -10}, {0, 1}},
        {"zero", {0, 0}, {0, 1}},
    };
    for (const Row& row : rows) {
      INFO("row: ", row.name);
      FakeClock clock(0);
      QueueIdGenerator gen(clock, 4242);
      std::string previous;
      for (size_t i = 0; i < row.clock.size(); ++i) {
        clock.set(row.clock[i]);
        std::string id = gen.next();
        INFO("id #", i, ": ", id);
        CHECK(is_valid_queue_id(id));
        CHECK(id.size() == kQueueIdLength);
        CHECK(queue_id_time_us(id) == row.want_time[i]);
        CHECK(id > previous);
        previous = id;
      }
    }
  }

  TEST_CASE("many ids in one microsecond stay distinct and ordered") {
    FakeClock clock(kT0);
    QueueIdGenerator gen(clock, 1);
    std::string previous;
    for (int i = 0; i < 10000; ++i) {
      std::string id = gen.next();
      REQUIRE(id > previous);
      previous = id;
    }
  }

  TEST_CASE("two processes never share an id, and arrival order wins over pid") {
    FakeClock clock(kT0);
    QueueIdGenerator low(clock, 2);
    QueueIdGenerator high(clock, 4194304);  // the largest Linux pid_max
    std::string a = low.next();
    std::string b = high.next();
    CHECK(a != b);
    CHECK(a < b);  // same microsecond: the pid breaks the tie
    clock.set(kT0 + 1);
    std::string later_low = low.next();
    CHECK(later_low > b);  // one microsecond later sorts after, whatever the pid
    CHECK(queue_id_time_us(a) == queue_id_time_us(b));
  }

  TEST_CASE("is_valid_queue_id refuses anything but an id") {
    FakeClock clock(kT0);
    const std::string good = QueueIdGenerator(clock, 77).next();
    struct Row {
      const char* name;
      std::string id;
      bool want;
    };
    const Row rows[] = {
        {"a generated id", good, true},
        {"all zeros", std::string(kQueueIdLength, '0'), true},
        {"all Z", std::string(kQueueIdLength, 'Z'), true},
        {"empty", "", false},
        {"path trick", "../x", false},
        {"path trick of full length", "../" + good.substr(3), false},
        {"slash inside", good.substr(0, 5) + "/" + good.substr(6), false},
        {"too long", good + "0", false},
        {"too short", good.substr(1), false},
        {"lower case", std::string(kQueueIdLength, 'b'), false},
        {"excluded letter I", good.substr(0, 15) + "I", false},
        {"excluded letter L", good.substr(0, 15) + "L", false},
        {"excluded letter O", good.substr(0, 15) + "O", false},
        {"excluded letter U", good.substr(0, 15) + "U", false},
        {"dot", good.substr(0, 15) + ".", false},
        {"NUL inside", good.substr(0, 8) + std::string(1, '\0') + good.substr(9), false},
        {"high byte", good.substr(0, 15) + "\xc3", false},
    };
    for (const Row& row : rows) {
      INFO("row: ", row.name);
      CHECK(is_valid_queue_id(row.id) == row.want);
      if (!row.want) CHECK(queue_id_time_us(row.id) == -1);
    }
  }

  TEST_CASE("the system clock reads the present") {
    SystemClock clock;
    int64_t now = clock.now_us();
    CHECK(now > kT0);
    QueueIdGenerator gen(clock, ::getpid());
    std::string id = gen.next();
    CHECK(queue_id_time_us(id) >= now);
    CHECK(queue_id_time_us(id) - now < 60'000'000);
  }
}

}  // namespace
}  // namespace tern::spool

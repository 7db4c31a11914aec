// Tests for the Scheduler: batching per message and destination, per-destination
// concurrency, round-robin fairness between destinations, and the retry arithmetic
// (Postfix's doubling back-off, expiry, delay warnings) on a fake clock.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "qmgr/scheduler.h"
#include "tests/unit/spool/spool_test_util.h"

namespace tern::qmgr {
namespace {

using spool::testing::FakeClock;
constexpr int64_t kSec = 1'000'000;
constexpr int64_t kT0 = 1'700'000'000 * kSec;

const Destination kSlow{"smtp", "slow.example"};
const Destination kFast{"smtp", "fast.example"};

RetryPolicy policy() {
  RetryPolicy p;
  p.min_backoff_us = 300 * kSec;
  p.max_backoff_us = 4000 * kSec;
  p.lifetime_us = 5 * 86400 * kSec;
  p.bounce_lifetime_us = 86400 * kSec;
  p.delay_warning_us = 4 * 3600 * kSec;
  return p;
}

TEST_SUITE("qmgr.scheduler") {
  TEST_CASE("recipients are batched per message and destination up to the recipient limit") {
    FakeClock clock(kT0);
    Scheduler s(clock, {.concurrency = 10, .recipients = 2}, policy());
    for (uint32_t i = 0; i < 5; ++i) s.add(kFast, "Q1", i);
    s.add(kFast, "Q2", 0);
    s.add(kSlow, "Q1", 5);
    CHECK(s.waiting() == 7);
    std::map<std::string, std::vector<std::vector<uint32_t>>> got;
    while (auto job = s.next()) got[job->queue_id + "/" + job->destination.nexthop].push_back(job->recipients);
    struct Row { const char* key; std::vector<std::vector<uint32_t>> want; };
    const Row rows[] = {
        {"Q1/fast.example", {{0, 1}, {2, 3}, {4}}},
        {"Q2/fast.example", {{0}}},
        {"Q1/slow.example", {{5}}},
    };
    for (const auto& row : rows) {
      INFO(row.key);
      CHECK(got[row.key] == row.want);
    }
    CHECK(s.waiting() == 0);
    CHECK(s.running() == 5);
  }

  TEST_CASE("at most `concurrency` jobs run per destination; finishing one frees a slot") {
    FakeClock clock(kT0);
    Scheduler s(clock, {.concurrency = 2, .recipients = 1}, policy());
    for (uint32_t i = 0; i < 5; ++i) s.add(kSlow, "Q" + std::to_string(i), 0);
    auto a = s.next();
    auto b = s.next();
    REQUIRE(a);
    REQUIRE(b);
    CHECK_FALSE(s.next());
    CHECK(s.running(kSlow) == 2);
    s.finish(a->id);
    auto c = s.next();
    REQUIRE(c);
    CHECK(c->queue_id == "Q2");
    CHECK_FALSE(s.next());
  }

  TEST_CASE("a saturated slow destination does not starve the others (round-robin)") {
    FakeClock clock(kT0);
    Scheduler s(clock, {.concurrency = 1, .recipients = 1}, policy());
    for (int i = 0; i < 100; ++i) s.add(kSlow, "S" + std::to_string(i), 0);
    for (int i = 0; i < 3; ++i) s.add(kFast, "F" + std::to_string(i), 0);
    auto slow_job = s.next();
    REQUIRE(slow_job);
    CHECK(slow_job->destination == kSlow);
    // The slow job never finishes; every fast message still goes, one after another.
    for (int i = 0; i < 3; ++i) {
      INFO("fast job ", i);
      auto job = s.next();
      REQUIRE(job);
      CHECK(job->destination == kFast);
      CHECK(job->queue_id == "F" + std::to_string(i));
      CHECK_FALSE(s.next());
      s.finish(job->id);
    }
  }

  TEST_CASE("destinations take turns") {
    FakeClock clock(kT0);
    Scheduler s(clock, {.concurrency = 10, .recipients = 1}, policy());
    const Destination d[] = {{"smtp", "a"}, {"smtp", "b"}, {"local", "c"}};
    for (int round = 0; round < 2; ++round)
      for (const auto& dest : d) s.add(dest, "Q" + std::to_string(round), 0);
    std::vector<std::string> order;
    while (auto job = s.next()) order.push_back(job->destination.nexthop);
    CHECK(order == std::vector<std::string>{"a", "b", "c", "a", "b", "c"});
  }

  TEST_CASE("remove_message drops only that message's waiting recipients") {
    FakeClock clock(kT0);
    Scheduler s(clock, {.concurrency = 1, .recipients = 1}, policy());
    s.add(kSlow, "A", 0);
    s.add(kSlow, "B", 0);
    s.add(kSlow, "A", 1);
    s.add(kFast, "A", 2);
    auto running = s.next();  // A/0 to slow
    REQUIRE(running);
    CHECK(s.remove_message("A") == 2);
    CHECK(s.waiting() == 1);
    s.finish(running->id);
    auto next = s.next();
    REQUIRE(next);
    CHECK(next->queue_id == "B");
    CHECK_FALSE(s.next());
  }

  TEST_CASE("back-off doubles from minimal_backoff_time up to maximal_backoff_time") {
    FakeClock clock(kT0);
    Scheduler s(clock, {}, policy());
    struct Row { int64_t age_s; int64_t want_wait_s; };
    const Row rows[] = {{0, 300}, {300, 300}, {600, 600}, {1200, 1200}, {2400, 2400},
                        {4800, 4000}, {86400, 4000}};
    for (const auto& row : rows) {
      INFO("age ", row.age_s);
      clock.set(kT0 + row.age_s * kSec);
      CHECK(s.retry_time_us(kT0) - clock.now_us() == row.want_wait_s * kSec);
    }
  }

  TEST_CASE("expiry after maximal_queue_lifetime, bounce_queue_lifetime for bounces") {
    FakeClock clock(kT0);
    Scheduler s(clock, {}, policy());
    struct Row { int64_t age_s; bool bounce; bool want; };
    const Row rows[] = {{0, false, false}, {86400, false, false}, {5 * 86400, false, true},
                        {86400 - 1, true, false}, {86400, true, true}};
    for (const auto& row : rows) {
      INFO("age ", row.age_s, " bounce ", row.bounce);
      clock.set(kT0 + row.age_s * kSec);
      CHECK(s.expired(kT0, row.bounce) == row.want);
    }
  }

  TEST_CASE("delay warnings after delay_warning_time; 0 turns them off") {
    FakeClock clock(kT0 + 4 * 3600 * kSec);
    Scheduler s(clock, {}, policy());
    CHECK(s.delay_warning_due(kT0));
    CHECK_FALSE(s.delay_warning_due(kT0 + kSec));
    RetryPolicy off = policy();
    off.delay_warning_us = 0;
    s.configure({}, off);
    CHECK_FALSE(s.delay_warning_due(kT0 - 86400 * kSec));
  }
}

}  // namespace
}  // namespace tern::qmgr

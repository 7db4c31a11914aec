// RestartPolicy: back-off doubling, cap, reset after a stable run, give-up threshold.
#include <doctest/doctest.h>

#include "master/restart_policy.h"

using tern::master::RestartPolicy;

TEST_SUITE("master.restart_policy") {
  TEST_CASE("quick deaths double the delay up to the cap, then give up") {
    RestartPolicy policy(8'000, 5);
    struct Row { uint32_t previous; bool give_up; uint64_t delay_ms; };
    const Row rows[] = {
        {0, false, 1000}, {1, false, 2000}, {2, false, 4000},
        {3, false, 8000}, {4, false, 8000}, {5, true, 0},
    };
    for (const auto& row : rows) {
      INFO("previous failures: " << row.previous);
      auto d = policy.on_exit(10, row.previous);
      CHECK(d.give_up == row.give_up);
      CHECK(d.consecutive_failures == row.previous + 1);
      if (!row.give_up) CHECK(d.delay_ms == row.delay_ms);
    }
  }

  TEST_CASE("a child that ran long enough starts afresh") {
    RestartPolicy policy(60'000, 3);
    auto d = policy.on_exit(RestartPolicy::kStableRunMs, 3);
    CHECK_FALSE(d.give_up);
    CHECK(d.consecutive_failures == 1);
    CHECK(d.delay_ms == 1000);
  }

  TEST_CASE("give_up_after 0 never gives up") {
    RestartPolicy policy(4'000, 0);
    auto d = policy.on_exit(0, 1000);
    CHECK_FALSE(d.give_up);
    CHECK(d.delay_ms == 4000);
  }
}

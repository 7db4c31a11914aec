// RestartPolicy: when to restart a child that died (pure: no I/O, no clock of its own).
// A child that ran at least kStableRunMs before dying starts afresh; otherwise each
// consecutive quick death doubles the wait, from 1 s up to max_backoff, and after
// give_up_after consecutive quick deaths master gives up on that program (logged loudly).
#pragma once

#include <cstdint>

namespace tern::master {

struct RestartDecision {
  bool give_up = false;
  uint64_t delay_ms = 0;
  uint32_t consecutive_failures = 0;
};

class RestartPolicy {
 public:
  static constexpr int64_t kStableRunMs = 60'000;

  RestartPolicy(uint64_t max_backoff_ms, uint32_t give_up_after)
      : max_backoff_ms_(max_backoff_ms), give_up_after_(give_up_after) {}

  // Called when a child exits after running for ran_ms, with its previous count of quick deaths.
  RestartDecision on_exit(int64_t ran_ms, uint32_t consecutive_failures) const;

 private:
  uint64_t max_backoff_ms_;
  uint32_t give_up_after_;
};

}  // namespace tern::master

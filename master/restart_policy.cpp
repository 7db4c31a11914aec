// Exponential restart back-off with a give-up threshold.
#include "master/restart_policy.h"

#include <algorithm>

namespace tern::master {

RestartDecision RestartPolicy::on_exit(int64_t ran_ms, uint32_t consecutive_failures) const {
  RestartDecision d;
  d.consecutive_failures = ran_ms >= kStableRunMs ? 1 : consecutive_failures + 1;
  if (give_up_after_ > 0 && d.consecutive_failures > give_up_after_) {
    d.give_up = true;
    return d;
  }
  uint64_t delay = 1000;
  for (uint32_t i = 1; i < d.consecutive_failures && delay < max_backoff_ms_; ++i) delay *= 2;
  d.delay_ms = std::min(delay, std::max<uint64_t>(max_backoff_ms_, 1000));
  return d;
}

}  // namespace tern::master

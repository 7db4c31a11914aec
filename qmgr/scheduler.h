// Scheduler: qmgr's delivery policy, pure (STYLE.md §10): no I/O, time only through a Clock&.
//
// Jobs: recipients wait in per-destination queues (destination = transport + nexthop; for
// `local`, one destination per recipient mailbox), batched per message and destination up to
// `recipients` per job. next() hands out the next job that may start: at most `concurrency`
// jobs run per destination, and destinations take turns (round-robin), so one slow or
// saturated destination never starves the others.
//
// Retries (Postfix's semantics): after a failed attempt a message waits for its age in the
// queue, bounded by minimal_backoff_time and maximal_backoff_time -- so the wait doubles from
// one attempt to the next. A message expires after maximal_queue_lifetime
// (bounce_queue_lifetime for bounces); a delay warning is due after delay_warning_time (0: off).
#pragma once

#include <compare>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/spool/queue_id.h"

namespace tern::qmgr {

struct Destination {
  std::string transport;  // "local" or "smtp"
  std::string nexthop;    // smtp: domain or [host]:port; local: the recipient mailbox
  auto operator<=>(const Destination&) const = default;
  bool operator==(const Destination&) const = default;
};

struct Job {
  uint64_t id = 0;
  Destination destination;
  std::string queue_id;
  std::vector<uint32_t> recipients;  // indices into the message's recipients
};

struct SchedulerLimits {
  size_t concurrency = 20;   // default_destination_concurrency_limit
  size_t recipients = 50;    // default_destination_recipient_limit
};

struct RetryPolicy {
  int64_t min_backoff_us = 300'000'000;
  int64_t max_backoff_us = 4'000'000'000;
  int64_t lifetime_us = 5LL * 86400 * 1'000'000;
  int64_t bounce_lifetime_us = 5LL * 86400 * 1'000'000;
  int64_t delay_warning_us = 0;
};

class Scheduler {
 public:
  Scheduler(spool::Clock& clock, SchedulerLimits limits, RetryPolicy policy);

  void configure(SchedulerLimits limits, RetryPolicy policy);

  // Queues one recipient of a message for a destination.
  void add(const Destination& destination, const std::string& queue_id, uint32_t recipient);
  // The next job allowed to start now, or nullopt. The caller must call finish(job.id) once.
  std::optional<Job> next();
  void finish(uint64_t job_id);
  // Drops every waiting (not started) recipient of the message; returns how many.
  size_t remove_message(const std::string& queue_id);

  size_t waiting() const;                                // recipients not yet in a job
  size_t running() const { return running_.size(); }     // jobs started, not finished
  size_t running(const Destination& destination) const;

  // When a message that arrived at arrival_us and just failed should be tried again.
  int64_t retry_time_us(int64_t arrival_us) const;
  bool expired(int64_t arrival_us, bool is_bounce) const;
  bool delay_warning_due(int64_t arrival_us) const;
  const RetryPolicy& policy() const { return policy_; }

 private:
  struct Batch {
    std::string queue_id;
    std::vector<uint32_t> recipients;
  };
  struct Queue {
    std::deque<Batch> batches;
    size_t running = 0;
  };

  spool::Clock& clock_;
  SchedulerLimits limits_;
  RetryPolicy policy_;
  std::map<Destination, Queue> queues_;
  std::deque<Destination> rotation_;      // destinations with waiting batches, in turn order
  std::map<uint64_t, Destination> running_;
  uint64_t last_job_id_ = 0;
};

}  // namespace tern::qmgr

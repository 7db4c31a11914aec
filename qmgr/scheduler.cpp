// Scheduler: per-destination queues, round-robin, concurrency and batching limits, and the
// retry/expiry arithmetic (see scheduler.h).
#include "qmgr/scheduler.h"

#include <algorithm>

#include "common/check.h"

namespace tern::qmgr {

Scheduler::Scheduler(spool::Clock& clock, SchedulerLimits limits, RetryPolicy policy)
    : clock_(clock) {
  configure(limits, policy);
}

void Scheduler::configure(SchedulerLimits limits, RetryPolicy policy) {
  limits.concurrency = std::max<size_t>(limits.concurrency, 1);
  limits.recipients = std::max<size_t>(limits.recipients, 1);
  limits_ = limits;
  policy_ = policy;
}

void Scheduler::add(const Destination& destination, const std::string& queue_id,
                    uint32_t recipient) {
  Queue& queue = queues_[destination];
  bool was_idle = queue.batches.empty();
  auto batch = std::find_if(queue.batches.begin(), queue.batches.end(), [&](const Batch& b) {
    return b.queue_id == queue_id && b.recipients.size() < limits_.recipients;
  });
  if (batch != queue.batches.end()) {
    batch->recipients.push_back(recipient);
  } else {
    queue.batches.push_back(Batch{queue_id, {recipient}});
  }
  if (was_idle) rotation_.push_back(destination);
}

std::optional<Job> Scheduler::next() {
  for (size_t turns = rotation_.size(); turns > 0; --turns) {
    Destination destination = std::move(rotation_.front());
    rotation_.pop_front();
    auto found = queues_.find(destination);
    if (found == queues_.end() || found->second.batches.empty()) continue;
    Queue& queue = found->second;
    if (queue.running >= limits_.concurrency) {
      rotation_.push_back(std::move(destination));
      continue;
    }
    Job job;
    job.id = ++last_job_id_;
    job.destination = destination;
    job.queue_id = std::move(queue.batches.front().queue_id);
    job.recipients = std::move(queue.batches.front().recipients);
    queue.batches.pop_front();
    ++queue.running;
    running_.emplace(job.id, destination);
    if (!queue.batches.empty()) rotation_.push_back(std::move(destination));
    return job;
  }
  return std::nullopt;
}

void Scheduler::finish(uint64_t job_id) {
  auto it = running_.find(job_id);
  TERN_CHECK(it != running_.end());
  auto queue = queues_.find(it->second);
  TERN_CHECK(queue != queues_.end() && queue->second.running > 0);
  --queue->second.running;
  if (queue->second.running == 0 && queue->second.batches.empty()) queues_.erase(queue);
  running_.erase(it);
}

size_t Scheduler::remove_message(const std::string& queue_id) {
  size_t removed = 0;
  for (auto it = queues_.begin(); it != queues_.end();) {
    auto& batches = it->second.batches;
    for (auto b = batches.begin(); b != batches.end();) {
      if (b->queue_id == queue_id) {
        removed += b->recipients.size();
        b = batches.erase(b);
      } else {
        ++b;
      }
    }
    // A queue without waiting work leaves the rotation; an idle one goes altogether.
    if (batches.empty()) std::erase(rotation_, it->first);
    if (batches.empty() && it->second.running == 0) {
      it = queues_.erase(it);
    } else {
      ++it;
    }
  }
  return removed;
}

size_t Scheduler::waiting() const {
  size_t n = 0;
  for (const auto& [destination, queue] : queues_)
    for (const auto& batch : queue.batches) n += batch.recipients.size();
  return n;
}

size_t Scheduler::running(const Destination& destination) const {
  auto it = queues_.find(destination);
  return it == queues_.end() ? 0 : it->second.running;
}

int64_t Scheduler::retry_time_us(int64_t arrival_us) const {
  int64_t now = clock_.now_us();
  int64_t delay = std::clamp(now - arrival_us, policy_.min_backoff_us,
                             std::max(policy_.min_backoff_us, policy_.max_backoff_us));
  return now + delay;
}

bool Scheduler::expired(int64_t arrival_us, bool is_bounce) const {
  int64_t lifetime = is_bounce ? policy_.bounce_lifetime_us : policy_.lifetime_us;
  return clock_.now_us() - arrival_us >= lifetime;
}

bool Scheduler::delay_warning_due(int64_t arrival_us) const {
  return policy_.delay_warning_us > 0 && clock_.now_us() - arrival_us >= policy_.delay_warning_us;
}

}  // namespace tern::qmgr

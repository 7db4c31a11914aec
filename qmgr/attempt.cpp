// QueueManager: one delivery attempt of a message -- activation, routing through lookup,
// jobs to local and smtp, and recording each result before acting on it (see service.h).
#include <algorithm>
#include <unordered_map>

#include "common/log/log.h"
#include "common/spool/status_log.h"
#include "qmgr/log_lines.h"
#include "qmgr/service.h"

namespace tern::qmgr {
namespace {

constexpr size_t kMaxRecipientsPerMessage = 10000;  // bounds alias fan-out

const char* state_word(proto::RecipientState state) {
  switch (state) {
    case proto::STATE_DELIVERED: return "sent";
    case proto::STATE_BOUNCED: return "bounced";
    case proto::STATE_DEFERRED: return "deferred";
    case proto::STATE_EXPANDED: return "expanded";
    default: return "pending";
  }
}

// The dsn_status an agent gave, if it fits the outcome; else the outcome's generic code.
std::string dsn_for(const std::string& given, char klass) {
  bool ok = given.size() >= 5 && given.size() <= 16 && given[0] == klass && given[1] == '.';
  for (char c : given) ok = ok && (std::isdigit(static_cast<unsigned char>(c)) || c == '.');
  return ok ? given : std::string(1, klass) + ".0.0";
}

}  // namespace

void QueueManager::activate(const std::string& queue_id, MessageState state, bool first_attempt) {
  Active& m = active_[queue_id];
  m.state = std::move(state);
  m.first_attempt = first_attempt;
  m.active_since_us = clock_.now_us();
  const auto& env = m.state.envelope;
  TERN_LOG_INFO("%s: from=<%s>, size=%llu, nrcpt=%zu (queue active)", queue_id.c_str(),
                sanitize_text(env.sender(), 500).c_str(),
                static_cast<unsigned long long>(m.state.message_length), m.state.pending_count());
  route(queue_id);
  maybe_finish(queue_id);
}

void QueueManager::route(const std::string& queue_id) {
  Active& m = active_.at(queue_id);
  std::vector<uint32_t> pending;
  for (const auto& r : m.state.recipients)
    if (r.pending()) pending.push_back(r.index);
  // Held while the recipients are asked for, so that answers given at once (below) neither
  // start jobs before every recipient is routed nor finish the message.
  ++m.lookups;
  for (uint32_t index : pending) resolve(queue_id, index);
  --m.lookups;
  if (m.lookups == 0) pump();
}

void QueueManager::resolve(const std::string& queue_id, uint32_t index) {
  Active& m = active_.at(queue_id);
  ++m.lookups;
  // A first attempt goes where smtpd's look-up at RCPT said, moments ago.
  const proto::Recipient& recipient = m.state.recipients[index].recipient;
  if (m.first_attempt && recipient.resolved_size() > 0) {
    proto::LookupReply stored;
    *stored.mutable_resolutions() = recipient.resolved();
    on_resolved(queue_id, index, std::move(stored));
    return;
  }
  proto::LookupRequest request;
  request.mutable_resolve()->set_address(m.state.recipients[index].recipient.address());
  lookup_.call(std::move(request), lookup_timeout_ms_,
               [this, queue_id, index](Result<proto::LookupReply> reply) {
                 on_resolved(queue_id, index, std::move(reply));
               });
}

void QueueManager::on_resolved(const std::string& queue_id, uint32_t index,
                               Result<proto::LookupReply> reply) {
  auto it = active_.find(queue_id);
  if (it == active_.end()) return;
  Active& m = it->second;
  --m.lookups;
  if (!m.hold_requested && !m.delete_requested && index < m.state.recipients.size()) {
    const RecipientProgress r = m.state.recipients[index];
    RouteDecision d = decide_route(r.recipient.address(), r.added, reply);
    switch (d.kind) {
      case RouteDecision::Kind::kDeliver:
        m.targets[index] = d.target;
        scheduler_.add(d.target.destination, queue_id, index);
        ++m.waiting;
        break;
      case RouteDecision::Kind::kExpand: {
        if (m.state.recipients.size() + d.addresses.size() > kMaxRecipientsPerMessage) {
          defer_recipient(queue_id, m, index, "4.3.0", "alias expansion too large", "none", 0);
          break;
        }
        proto::RecipientStatus status;
        status.set_index(index);
        status.set_state(proto::STATE_EXPANDED);
        for (const auto& address : d.addresses) {
          proto::Recipient* added = status.add_added();
          added->set_address(address);
          added->set_notify(r.recipient.notify());
          added->set_orcpt(r.recipient.orcpt().empty() ? "rfc822;" + r.recipient.address()
                                                       : r.recipient.orcpt());
        }
        size_t first_new = m.state.recipients.size();
        if (!record(queue_id, m, std::move(status), 0)) break;
        for (size_t i = first_new; i < m.state.recipients.size(); ++i)
          resolve(queue_id, static_cast<uint32_t>(i));
        break;
      }
      case RouteDecision::Kind::kBounce: {
        proto::RecipientStatus status;
        status.set_index(index);
        status.set_state(proto::STATE_BOUNCED);
        status.set_attempts(r.attempts + 1);
        status.set_dsn_status(d.dsn_status);
        status.set_diagnostic(d.reason);
        status.set_relay("none");
        record(queue_id, m, std::move(status), 0);
        break;
      }
      case RouteDecision::Kind::kDefer:
        defer_recipient(queue_id, m, index, d.dsn_status, d.reason, "none", 0);
        break;
    }
  }
  // Start jobs only once every routing answer for this message is back, so that recipients
  // for one destination travel in one job (one transaction) instead of one job each.
  bool fully_routed = m.lookups == 0;
  maybe_finish(queue_id);
  if (fully_routed) pump();
}

void QueueManager::pump() {
  while (!stopping_) {
    auto job = scheduler_.next();
    if (!job) break;
    start_job(std::move(*job));
  }
}

void QueueManager::start_job(Job job) {
  auto it = active_.find(job.queue_id);
  if (it == active_.end()) {
    scheduler_.finish(job.id);
    return;
  }
  Active& m = it->second;
  m.waiting -= std::min(m.waiting, job.recipients.size());
  ++m.running;
  const auto& env = m.state.envelope;
  proto::DeliveryRequest request;
  request.set_queue_id(job.queue_id);
  request.set_sender(env.sender());
  request.set_transport(job.destination.transport);
  if (job.destination.transport == "smtp") request.set_nexthop(job.destination.nexthop);
  request.set_arrival_time_us(env.arrival_time_us());
  request.set_is_bounce(env.is_bounce() || env.sender().empty());
  request.set_first_attempt(m.first_attempt);
  for (uint32_t index : job.recipients) {
    const RecipientProgress& r = m.state.recipients[index];
    const RouteTarget& target = m.targets[index];
    proto::DeliveryRecipient* d = request.add_recipients();
    d->set_index(index);
    d->set_address(target.address);
    d->set_original(r.recipient.address());
    d->set_mailbox(target.mailbox);
    d->set_orcpt(r.recipient.orcpt());
    d->set_notify(r.recipient.notify());
    d->set_virtual_mailbox(target.virtual_mailbox);
    d->set_extension(target.extension);
  }
  uint64_t job_id = job.id;
  bool local = job.destination.transport == "local";
  jobs_[job_id] = JobContext{std::move(job), clock_.now_us()};
  auto done = [this, job_id](Result<proto::DeliveryReply> reply) {
    auto found = jobs_.find(job_id);
    if (found == jobs_.end()) return;
    JobContext context = std::move(found->second);
    jobs_.erase(found);
    on_job_done(context, std::move(reply));
  };
  (local ? local_ : smtp_).call(std::move(request), agent_timeout_ms_, std::move(done));
}

void QueueManager::on_job_done(const JobContext& context, Result<proto::DeliveryReply> reply) {
  const Job& job = context.job;
  scheduler_.finish(job.id);
  auto it = active_.find(job.queue_id);
  if (it == active_.end()) {
    pump();
    return;
  }
  Active& m = it->second;
  --m.running;
  bool clean = reply && finishes_cleanly(m, job, *reply);
  std::unordered_map<uint32_t, const proto::RecipientResult*> results;
  if (reply) {
    for (const auto& result : reply->results()) results.emplace(result.index(), &result);
  }
  for (uint32_t index : job.recipients) {
    if (!reply) {
      defer_recipient(job.queue_id, m, index, "4.3.0",
                      job.destination.transport + " delivery agent failed: " + reply.error().message,
                      "none", context.started_us);
      continue;
    }
    auto found = results.find(index);
    if (found == results.end()) {
      defer_recipient(job.queue_id, m, index, "4.3.0",
                      job.destination.transport + " delivery agent gave no result", "none",
                      context.started_us);
      continue;
    }
    const proto::RecipientResult& result = *found->second;
    proto::RecipientStatus status;
    status.set_index(index);
    status.set_attempts(m.state.recipients[index].attempts + 1);
    status.set_diagnostic(sanitize_text(result.diagnostic()));
    status.set_relay(sanitize_text(result.relay(), 300));
    if (result.expanded_size() > 0) {
      status.set_state(proto::STATE_EXPANDED);
      for (const auto& e : result.expanded()) {
        proto::Recipient* added = status.add_added();
        added->set_address(e.address());
        added->set_notify(e.notify());
        added->set_orcpt(e.orcpt());
      }
      size_t first_new = m.state.recipients.size();
      if (first_new + result.expanded_size() > kMaxRecipientsPerMessage) {
        defer_recipient(job.queue_id, m, index, "4.3.0", "alias expansion too large", "none",
                        context.started_us);
        continue;
      }
      if (record(job.queue_id, m, std::move(status), context.started_us)) {
        for (size_t i = first_new; i < m.state.recipients.size(); ++i)
          resolve(job.queue_id, static_cast<uint32_t>(i));
      }
      continue;
    }
    switch (result.outcome()) {
      case proto::RecipientResult::DELIVERED:
        status.set_state(proto::STATE_DELIVERED);
        status.set_dsn_status(dsn_for(result.dsn_status(), '2'));
        record(job.queue_id, m, std::move(status), context.started_us, !clean);
        break;
      case proto::RecipientResult::BOUNCED:
        if (soft_bounce_) {
          std::string dsn = dsn_for(result.dsn_status(), '5');
          dsn[0] = '4';
          defer_recipient(job.queue_id, m, index, dsn, status.diagnostic(), status.relay(),
                          context.started_us);
          break;
        }
        status.set_state(proto::STATE_BOUNCED);
        status.set_dsn_status(dsn_for(result.dsn_status(), '5'));
        record(job.queue_id, m, std::move(status), context.started_us);
        break;
      default:
        defer_recipient(job.queue_id, m, index, dsn_for(result.dsn_status(), '4'),
                        status.diagnostic(), status.relay(), context.started_us);
        break;
    }
  }
  maybe_finish(job.queue_id);
  pump();
}

void QueueManager::defer_recipient(const std::string& queue_id, Active& m, uint32_t index,
                                   const std::string& dsn, const std::string& reason,
                                   const std::string& relay, int64_t job_started_us) {
  m.deferred = true;
  proto::RecipientStatus status;
  status.set_index(index);
  status.set_state(proto::STATE_DEFERRED);
  status.set_attempts(m.state.recipients[index].attempts + 1);
  status.set_retry_after_us(scheduler_.retry_time_us(m.state.envelope.arrival_time_us()));
  status.set_dsn_status(dsn);
  status.set_diagnostic(sanitize_text(reason));
  status.set_relay(relay);
  record(queue_id, m, std::move(status), job_started_us);
}

bool QueueManager::finishes_cleanly(const Active& m, const Job& job,
                                    const proto::DeliveryReply& reply) {
  if (m.running > 0 || m.waiting > 0 || m.lookups > 0 || m.deferred) return false;
  if (m.delete_requested || m.hold_requested) return false;
  auto in_job = [&job](uint32_t index) { return std::ranges::find(job.recipients, index) != job.recipients.end(); };
  if (static_cast<size_t>(reply.results_size()) != job.recipients.size()) return false;
  for (const auto& result : reply.results()) {
    if (!in_job(result.index()) || result.index() >= m.state.recipients.size()) return false;
    if (result.outcome() != proto::RecipientResult::DELIVERED || result.expanded_size() > 0)
      return false;
  }
  for (const RecipientProgress& r : m.state.recipients) {
    if (in_job(r.index)) {
      if (r.recipient.notify() != 0 && MessageState::wants(r.recipient, kNotifySuccess))
        return false;
    } else if (r.pending()) {
      return false;
    }
  }
  return true;
}

bool QueueManager::record(const std::string& queue_id, Active& m, proto::RecipientStatus status,
                          int64_t job_started_us, bool durable) {
  int64_t now = clock_.now_us();
  status.set_time_us(now);
  uint32_t index = status.index();
  // Not durable: the message is removed right after. A crash before that removal delivers
  // these recipients again; local deliveries are idempotent (the Maildir file name comes from
  // queue id and recipient), as in Postfix, whose queue manager does not sync "done" marks.
  auto appended = durable ? spool::append_status(queue_fd_.get(), queue_id, status) : Result<void>{};
  if (!appended) {
    // Not recorded, so not acted on: the recipient stays pending and is tried again.
    TERN_LOG_ERROR("%s: cannot record the status of <%s>: %s", queue_id.c_str(),
                   sanitize_text(m.state.recipients[index].recipient.address(), 500).c_str(),
                   appended.error().message.c_str());
    m.deferred = true;
    return false;
  }
  apply_status(m.state, status);
  const RecipientProgress& r = m.state.recipients[index];
  auto target = m.targets.find(index);
  DeliveryLog entry;
  entry.to = target != m.targets.end() ? target->second.address : r.recipient.address();
  entry.orig_to = r.recipient.address();
  entry.relay = status.relay();
  entry.arrival_us = m.state.envelope.arrival_time_us();
  entry.active_us = m.active_since_us;
  entry.job_us = job_started_us;
  entry.now_us = now;
  entry.dsn = status.dsn_status();
  entry.status = state_word(status.state());
  entry.text = status.state() == proto::STATE_EXPANDED
                   ? std::to_string(status.added_size()) + " recipient(s)"
                   : status.diagnostic();
  if (status.state() == proto::STATE_EXPANDED) entry.dsn = "2.0.0";
  TERN_LOG_INFO("%s: %s", queue_id.c_str(), format_delivery(entry).c_str());
  return true;
}

}  // namespace tern::qmgr

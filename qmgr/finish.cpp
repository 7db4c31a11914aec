// QueueManager: the end of a delivery attempt -- deferral, expiry, DSNs (failure, success,
// delay) and the durable removal of a finished message (see service.h).
#include <algorithm>

#include "common/log/log.h"
#include "common/spool/layout.h"
#include "common/spool/status_log.h"
#include "qmgr/dsn_builder.h"
#include "qmgr/log_lines.h"
#include "qmgr/service.h"
#include "qmgr/spool_ops.h"

namespace tern::qmgr {
namespace {

constexpr uint64_t kMaxReturnedBytes = 1 << 20;

std::string qualify(const std::string& address, const std::string& domain) {
  return address.find('@') == std::string::npos ? address + "@" + domain : address;
}

}  // namespace

void QueueManager::maybe_finish(const std::string& queue_id) {
  auto it = active_.find(queue_id);
  if (it == active_.end()) return;
  const Active& m = it->second;
  if (m.lookups > 0 || m.waiting > 0 || m.running > 0) return;
  finish(queue_id);
}

void QueueManager::finish(const std::string& queue_id) {
  Active& m = active_.at(queue_id);
  int64_t now = clock_.now_us();
  if (m.delete_requested) {
    remove_message(queue_id, std::nullopt);
    active_.erase(queue_id);
    return;
  }
  MessageState& state = m.state;
  int64_t arrival = state.envelope.arrival_time_us();
  bool is_bounce = state.envelope.is_bounce() || state.envelope.sender().empty();
  if (state.has_pending() && scheduler_.expired(arrival, is_bounce)) expire(queue_id, m);
  bool delay_warning = state.has_pending() && scheduler_.delay_warning_due(arrival);
  bool notified = send_notices(queue_id, state, delay_warning);
  if (!state.has_pending() && notified) {
    remove_message(queue_id, state.message_length);
  } else {
    int64_t due = state.has_pending() ? state.next_attempt_us() : 0;
    if (m.deferred || !notified) due = std::max(due, now + scheduler_.policy().min_backoff_us);
    not_before_[queue_id] = due;
    if (m.requeue_requested && !m.hold_requested) {
      force_ids_.insert(queue_id);
      request_run(false);
    }
    if (m.hold_requested) {
      if (auto moved = move_queue_file(spool_fd_.get(), spool::kQueueDir, spool::kHoldDir, queue_id);
          !moved) {
        TERN_LOG_ERROR("%s: cannot hold: %s", queue_id.c_str(), moved.error().message.c_str());
      } else {
        TERN_LOG_INFO("%s: placed on hold", queue_id.c_str());
      }
    }
  }
  active_.erase(queue_id);
}

void QueueManager::expire(const std::string& queue_id, Active& m) {
  TERN_LOG_INFO("%s: from=<%s>, status=expired, returned to sender", queue_id.c_str(),
                sanitize_text(m.state.envelope.sender(), 500).c_str());
  std::vector<uint32_t> pending;
  for (const auto& r : m.state.recipients)
    if (r.pending()) pending.push_back(r.index);
  for (uint32_t index : pending) {
    const RecipientProgress& r = m.state.recipients[index];
    proto::RecipientStatus status;
    status.set_index(index);
    status.set_state(proto::STATE_BOUNCED);
    status.set_attempts(r.attempts);
    // Postfix keeps the last temporary status of an expired recipient (Action: failed).
    status.set_dsn_status(r.dsn_status.starts_with("4.") ? r.dsn_status : "4.4.7");
    status.set_diagnostic(r.diagnostic.empty() ? "message expired in the queue"
                                               : r.diagnostic);
    status.set_relay(r.relay.empty() ? "none" : r.relay);
    record(queue_id, m, std::move(status), 0);
  }
}

bool QueueManager::send_notices(const std::string& queue_id, MessageState& state,
                                bool delay_warning) {
  const proto::Envelope& env = state.envelope;
  const config::Config& config = context_.config;
  std::string myhostname = config.get("myhostname");
  std::string myorigin = config.get("myorigin");
  std::string double_bounce = qualify(config.get("double_bounce_sender"), myorigin);
  bool null_sender = env.sender().empty();

  DsnInput input;
  std::vector<std::pair<uint32_t, uint32_t>> covered;  // index, notice kind
  bool any_failed = false;
  for (const auto& r : state.recipients) {
    uint32_t kind = 0;
    DsnRecipient d;
    if (r.state == proto::STATE_BOUNCED && !(r.notices & kNotifyFailure) &&
        MessageState::wants(r.recipient, kNotifyFailure)) {
      kind = kNotifyFailure;
      d.action = "failed";
      any_failed = true;
    } else if (!null_sender && r.state == proto::STATE_DELIVERED && r.recipient.notify() != 0 &&
               !(r.notices & kNotifySuccess) &&
               MessageState::wants(r.recipient, kNotifySuccess)) {
      kind = kNotifySuccess;
      bool local = r.relay.empty() || r.relay == "virtual" || r.relay.starts_with("local");
      d.action = local ? "delivered" : "relayed";
    } else if (!null_sender && delay_warning && r.pending() && !(r.notices & kNotifyDelay) &&
               MessageState::wants(r.recipient, kNotifyDelay)) {
      kind = kNotifyDelay;
      d.action = "delayed";
    }
    if (kind == 0) continue;
    d.address = r.recipient.address();
    d.orcpt = r.recipient.orcpt();
    d.status = r.dsn_status.empty() ? (kind == kNotifyDelay ? "4.0.0" : "5.0.0") : r.dsn_status;
    d.diagnostic = r.diagnostic;
    if (!r.relay.empty() && r.relay != "none" && r.relay != "local") d.remote_mta = r.relay;
    input.recipients.push_back(std::move(d));
    covered.emplace_back(r.index, kind);
  }
  if (covered.empty()) return true;

  std::string what = any_failed ? "non-delivery notification"
                     : input.recipients.front().action == "delayed" ? "delay notification"
                                                                    : "delivery status notification";
  proto::Envelope notice;
  if (null_sender || env.sender() == double_bounce) {
    if (!null_sender || !any_failed) {
      // A notice about a double bounce goes nowhere: it is dropped, once, with a log line.
      TERN_LOG_INFO("%s: undeliverable postmaster notification discarded", queue_id.c_str());
      covered.clear();
    } else {
      notice.set_sender(double_bounce);
      input.to = qualify(config.get("2bounce_notice_recipient"), myorigin);
      what = "postmaster non-delivery notification";
    }
  } else {
    input.to = env.sender();
    what = "sender " + what;
  }

  if (!covered.empty()) {
    auto message = read_message(spool_fd_.get(), spool::kQueueDir, queue_id, state.message_offset,
                                state.message_length, kMaxReturnedBytes);
    if (!message) {
      TERN_LOG_ERROR("%s: cannot read the message for a notice: %s", queue_id.c_str(),
                     message.error().message.c_str());
      return false;
    }
    input.envelope = &env;
    input.message = *message;
    input.reporting_mta = myhostname;
    input.mail_name = config.get("mail_name");
    input.dsn_queue_id = ids_.next();
    input.now_us = clock_.now_us();
    input.return_limit = static_cast<size_t>(std::max<int64_t>(0, config.get_int("bounce_size_limit")));
    notice.set_queue_id(input.dsn_queue_id);
    proto::Recipient* to = notice.add_recipients();
    // NOTIFY stays default: a failed notice must still reach the postmaster once.
    to->set_address(input.to);
    notice.set_arrival_time_us(input.now_us);
    notice.set_is_bounce(true);
    notice.set_ret(proto::RET_HDRS);
    notice.mutable_client()->set_protocol("LOCAL");
    notice.mutable_client()->set_local_uid(-1);
    if (auto committed = commit_message(spool_fd_.get(), notice, build_dsn(input)); !committed) {
      TERN_LOG_ERROR("%s: cannot queue the %s: %s", queue_id.c_str(), what.c_str(),
                     committed.error().message.c_str());
      return false;
    }
    TERN_LOG_INFO("%s: %s: %s", queue_id.c_str(), what.c_str(), input.dsn_queue_id.c_str());
    request_run(false);
  }
  // Remember what was notified, so a crash or a later attempt does not notify twice.
  for (const auto& [index, kind] : covered) {
    proto::RecipientStatus status;
    status.set_index(index);
    status.set_notice(kind);
    status.set_notice_queue_id(input.dsn_queue_id);
    status.set_time_us(clock_.now_us());
    if (auto r = spool::append_status(queue_fd_.get(), queue_id, status); !r) {
      TERN_LOG_WARNING("%s: cannot record the notice: %s", queue_id.c_str(), r.error().message.c_str());
      break;
    }
    apply_status(state, status);
  }
  return true;
}

void QueueManager::remove_message(const std::string& queue_id, std::optional<uint64_t> recycled_length) {
  not_before_.erase(queue_id);
  auto removed = recycled_length ? free_files_->retire(queue_id, *recycled_length, clock_.now_us())
                                 : unlink_queue_file(spool_fd_.get(), spool::kQueueDir, queue_id);
  if (!removed) {
    TERN_LOG_ERROR("%s: cannot remove: %s", queue_id.c_str(), removed.error().message.c_str());
    return;
  }
  TERN_LOG_INFO("%s: removed", queue_id.c_str());
  // Every recipient is already done: the unlink or the move need not be durable before qmgr
  // goes on. A crash that undoes it delivers the message again (local deliveries are
  // idempotent). The next commit's fsync writes queue/ out with it, or the kernel within its
  // writeback interval when no mail comes in; Postfix does not sync its removals either. A
  // file moved to free/ is written again only after smtpd has fsynced queue/, so a crash
  // cannot bring this name back holding another message.
}

}  // namespace tern::qmgr

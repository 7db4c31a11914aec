// Rebuilding a message's per-recipient progress from its status records (see queue_state.h).
#include "qmgr/queue_state.h"

#include <algorithm>

namespace tern::qmgr {

bool MessageState::has_pending() const {
  return std::any_of(recipients.begin(), recipients.end(),
                     [](const RecipientProgress& r) { return r.pending(); });
}

size_t MessageState::pending_count() const {
  return static_cast<size_t>(std::count_if(recipients.begin(), recipients.end(),
                                           [](const RecipientProgress& r) { return r.pending(); }));
}

int64_t MessageState::next_attempt_us() const {
  int64_t earliest = -1;
  for (const auto& r : recipients) {
    if (!r.pending()) continue;
    int64_t t = r.state == proto::STATE_DEFERRED ? r.retry_after_us : 0;
    if (earliest < 0 || t < earliest) earliest = t;
  }
  return earliest < 0 ? 0 : earliest;
}

bool MessageState::wants(const proto::Recipient& r, uint32_t kind) {
  uint32_t notify = r.notify();
  if (notify & kNotifyNever) return false;
  if (notify == 0) return kind == kNotifyFailure || kind == kNotifyDelay;
  return (notify & kind) != 0;
}

void apply_status(MessageState& state, const proto::RecipientStatus& status) {
  if (status.index() >= state.recipients.size()) {
    ++state.ignored_records;
    return;
  }
  if (status.notice() != 0) {
    state.recipients[status.index()].notices |= status.notice();
    return;
  }
  RecipientProgress& r = state.recipients[status.index()];
  if (r.final()) {
    ++state.ignored_records;
    return;
  }
  r.state = status.state();
  r.attempts = status.attempts();
  r.retry_after_us = status.retry_after_us();
  r.dsn_status = status.dsn_status();
  r.diagnostic = status.diagnostic();
  r.relay = status.relay();
  r.time_us = status.time_us();
  if (status.state() == proto::STATE_EXPANDED) {
    uint32_t parent_notices = r.notices;
    for (const auto& added : status.added()) {
      RecipientProgress child;
      child.index = static_cast<uint32_t>(state.recipients.size());
      child.recipient = added;
      child.added = true;
      child.notices = parent_notices;
      state.recipients.push_back(std::move(child));
    }
  }
}

MessageState rebuild_state(const spool::ParsedQueueFile& file) {
  MessageState state;
  state.envelope = file.envelope;
  state.message_offset = file.message_offset;
  state.message_length = file.message_length;
  for (int i = 0; i < file.envelope.recipients_size(); ++i) {
    RecipientProgress r;
    r.index = static_cast<uint32_t>(i);
    r.recipient = file.envelope.recipients(i);
    state.recipients.push_back(std::move(r));
  }
  for (const auto& status : file.statuses) apply_status(state, status);
  return state;
}

}  // namespace tern::qmgr

// QueueState: one queued message's recipients and their progress, rebuilt from the envelope and
// the RecipientStatus records appended to its queue file (DESIGN.md §4). Crash recovery is just
// this: re-reading the records. Pure: no I/O.
//
// Rules: records apply in the order they were appended; a final state (delivered, bounced,
// expanded) is never undone by a later record, so a recipient recorded as done is never tried
// again; an EXPANDED record appends its `added` recipients at the next free indices; a notice
// record (notice != 0) only marks which DSNs were already queued. Records naming an index that
// does not exist are ignored and counted.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/spool/queue_file.h"
#include "envelope.pb.h"

namespace tern::qmgr {

// Bits of Recipient.notify and RecipientStatus.notice.
inline constexpr uint32_t kNotifySuccess = 1;
inline constexpr uint32_t kNotifyFailure = 2;
inline constexpr uint32_t kNotifyDelay = 4;
inline constexpr uint32_t kNotifyNever = 8;

struct RecipientProgress {
  uint32_t index = 0;
  proto::Recipient recipient;
  proto::RecipientState state = proto::STATE_PENDING;
  uint32_t attempts = 0;
  int64_t retry_after_us = 0;
  std::string dsn_status;
  std::string diagnostic;
  std::string relay;
  int64_t time_us = 0;
  uint32_t notices = 0;     // kNotify* bits of the DSNs already queued about it
  bool added = false;       // came from an expansion

  bool pending() const {
    return state == proto::STATE_PENDING || state == proto::STATE_DEFERRED;
  }
  bool final() const { return !pending(); }
};

struct MessageState {
  proto::Envelope envelope;
  uint64_t message_offset = 0;
  uint64_t message_length = 0;
  std::vector<RecipientProgress> recipients;
  int ignored_records = 0;

  bool has_pending() const;
  size_t pending_count() const;
  // The earliest time a pending recipient may be tried again (0: now).
  int64_t next_attempt_us() const;
  // The recipient's NOTIFY asks for a DSN of this kind (kNotify* bit). Default (0): failures
  // and delays (RFC 3461 §4.1 leaves the default to the MTA; Postfix sends failures only, and
  // delays when delay_warning_time is set, which the caller decides).
  static bool wants(const proto::Recipient& r, uint32_t kind);
};

// The state of a parsed queue file.
MessageState rebuild_state(const spool::ParsedQueueFile& file);

// Applies one record to `state` (what rebuild_state does for each), e.g. right after qmgr has
// appended it.
void apply_status(MessageState& state, const proto::RecipientStatus& status);

}  // namespace tern::qmgr

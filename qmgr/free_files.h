// FreeFiles: where a finished message's queue file goes. Into free/, for smtpd to write the
// next message into (common/spool/recycled_files.h: no inode to allocate and free per
// message), while free/ holds fewer than kMaxFiles and the file is small; otherwise it is
// unlinked. Neither is made durable here: a crash that undoes it delivers the message again
// (idempotently), and smtpd fsyncs queue/ before it reuses a file from free/.
//
// qmgr does not see smtpd take files, so the count is an estimate from qmgr's own moves,
// recounted (one pass over free/, its claimed-* names left out) when it reaches the limit, at
// most once per kRecountUs: at 2,000 messages/s that is every hundred files or so.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/result.h"

namespace tern::qmgr {

class FreeFiles {
 public:
  static constexpr size_t kMaxFiles = 1000;
  static constexpr uint64_t kMaxMessageLength = 256 * 1024;
  static constexpr int64_t kRecountUs = 50'000;

  // Counts free/ now; `spool_dirfd` is borrowed.
  FreeFiles(int spool_dirfd, int64_t now_us);

  // Moves queue/<queue_id> to free/, or unlinks it. ENOENT: it was not there.
  Result<void> retire(const std::string& queue_id, uint64_t message_length, int64_t now_us);

  size_t estimate() const { return estimate_; }

 private:
  size_t count() const;

  int spool_dirfd_;
  size_t estimate_ = 0;
  int64_t counted_us_ = 0;
};

}  // namespace tern::qmgr

// mbox delivery (mail_spool_directory/USER, home_mailbox without a trailing '/', and alias
// /file targets): append one entry -- "From sender date" line, the message with mboxrd
// ">From " quoting, an empty line -- under both a dotlock (PATH.lock, created exclusively; a
// lock older than kStaleLockSeconds is taken as left by a crash and removed) and an fcntl
// write lock, then fsync. Any write error truncates the file back to its old size, so a
// mailbox never holds a partial message. Blocking; runs with whatever effective ids the
// caller switched to.
#pragma once

#include <sys/types.h>

#include <ctime>
#include <string>
#include <string_view>

#include "local/status.h"

namespace tern::local {

inline constexpr int kStaleLockSeconds = 500;  // Postfix's stale_lock_time

struct MboxOptions {
  int64_t size_limit = 0;         // of the whole file after the append; 0: none
  bool dotlock_may_fail = false;  // /file targets in directories the owner cannot write
  // For mail_spool_directory mboxes, which local opens as root: the owner a new file gets and
  // an existing one must have. -1: no check (the file is opened as its owner).
  uid_t owner_uid = static_cast<uid_t>(-1);
  gid_t owner_gid = static_cast<gid_t>(-1);
};

DeliveryStatus deliver_mbox(const std::string& path, std::string_view sender, std::string_view message,
                            std::time_t when, const MboxOptions& options);

}  // namespace tern::local

// Maildir delivery (https://cr.yp.to/proto/maildir.html), idempotent per DESIGN.md §4.
//
// The file name is derived from the queue id and the recipient's index (and the arrival time
// and host name, for Maildir readers that sort by name), never from the clock or a counter at
// delivery time. So a delivery repeated after a crash -- local wrote new/NAME, then died
// before qmgr recorded the recipient as done -- finds new/NAME (or cur/NAME:2,flags once a
// reader has seen it) and reports success without a second copy.
//
// Steps: when an earlier attempt may have delivered (MaildirOptions::may_exist), look for
// new/NAME, then for cur/NAME[:info] (a scan of cur/: only retries pay for it). Then, where
// the file system has O_TMPFILE and /proc is there: a file without a name in new/, written,
// fsynced, and linked as new/NAME (EEXIST: already delivered); fsync new/. No reader sees it
// unfinished, and tmp/ is not touched. Otherwise (or MaildirOptions::through_tmp): create
// tmp/NAME (O_EXCL: a file an attempt left there is removed first, never written through,
// since it may be a hard link to a delivered copy); write; fsync; move it to new/NAME without
// ever replacing a file there (renameat2 RENAME_NOREPLACE: the guarantee the specification's
// link-then-unlink gives, in one call; EEXIST: already delivered, tmp/NAME is removed);
// fsync new/. The Maildir (tmp, new, cur and missing parents) is created when one of these
// finds it missing (ENOENT), as Postfix does, so an existing Maildir costs no check.
//
// Looking in new/ before cur/ matters: a reader moves new/NAME to cur/NAME:2,... at any time,
// and only this order cannot miss a copy that moves between the two looks. For the same reason
// the move's EEXIST cannot stand in for the new/ look-up on a retry: by then the copy may
// have moved on to the cur/ already scanned, and the move would make a second one. A copy
// found is synced (its directory fsynced) before success is reported: the attempt that made
// it may have died before its own sync.
//
// Runs with the mailbox owner's effective ids (the caller switches). Blocking.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "local/status.h"

namespace tern::local {

// "<arrival_seconds>.T<queue_id>R<index>.<host>", with '/' and ':' in the host written as
// \057 and \072 as the Maildir specification asks.
std::string maildir_file_name(std::string_view queue_id, uint32_t index, std::string_view hostname,
                              int64_t arrival_seconds);

// Where a copy of NAME is in the Maildir at `path` (ending in '/'): new/NAME, or cur/NAME with
// or without a ":..." info suffix. A Maildir (or new/, cur/) that does not exist has none; any
// other failure is an error, since guessing "not there" could deliver twice.
enum class CopyIn { kNowhere, kNew, kCur };
Result<CopyIn> find_maildir_copy(const std::string& path, const std::string& name);

struct MaildirOptions {
  int64_t size_limit = 0;  // 0: none; over it -> BOUNCED 5.2.2
  bool may_exist = true;   // an earlier attempt may have delivered NAME: look for it first
  // Write the file in tmp/ and move it, as on a file system without O_TMPFILE (the tests of
  // that path set it); otherwise the file is made unnamed in new/ and linked there.
  bool through_tmp = false;
};

// Delivers `bytes` into the Maildir at `path` (a directory; a trailing '/' is fine) under
// `name`.
DeliveryStatus deliver_maildir(const std::string& path, const std::string& name, std::string_view bytes,
                               const MaildirOptions& options);

// mkdir -p of `path` with mode 0700 for the components it creates.
Result<void> make_directories(const std::string& path);

}  // namespace tern::local

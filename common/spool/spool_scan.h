// Spool directory scans, used by qmgr at start-up and on each queue run and by ternctl (mailq):
// listing the queue ids in a subdirectory, moving an unparseable file to corrupt/, and removing
// what a crash during receipt left in incoming/.
//
// Names that are not queue ids are skipped by list_queue() (never opened: they could be path
// tricks or an administrator's stray files). Errors carry errno; a file that vanishes during a
// scan is not an error (a delivery may finish meanwhile).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace tern::spool {

// The queue ids of the regular files in spool_dirfd/subdir, sorted (= arrival order).
Result<std::vector<std::string>> list_queue(int spool_dirfd, std::string_view subdir);

// Renames spool_dirfd/subdir/queue_id to corrupt/queue_id (corrupt/queue_id.N if that name is
// taken), never replacing a file. EINVAL for a name that is not a queue id.
Result<void> move_to_corrupt(int spool_dirfd, std::string_view subdir,
                             const std::string& queue_id);

// Unlinks every non-directory entry of incoming/ (nothing there was ever accepted) and returns
// how many were removed. Run before smtpd starts writing, never while it does.
Result<int> clean_incoming(int spool_dirfd);

// Unlinks every claimed-* name in free/ (recycled_files.h): files an smtpd claimed and did not
// finish, or names a crash brought back for files that became queue files since. Never taken
// again, so never written over. master runs it at start, before any smtpd: a running smtpd's
// claimed files are its own (qmgr restarting alone must not take them away).
// With `pid`, only the names smtpd `pid` claimed: master runs it when that smtpd has exited.
Result<int> clean_claimed_files(int spool_dirfd, std::optional<int> pid = std::nullopt);

}  // namespace tern::spool

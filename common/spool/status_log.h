// The per-recipient progress log (DESIGN.md §4): qmgr appends one RecipientStatus record to a
// queue file for every delivery result, and the record is on disk (fdatasync) before qmgr acts
// on it — so a crash never re-delivers a recipient recorded as done.
//
// One appender per file at a time (qmgr owns queue/; there is no locking). A torn last record
// left by a crash mid-append is cut off (ftruncate to the end of the last good record) before
// the new one is written, since a record after garbage would read as corruption.
//
// Errors: EINVAL for a name that is not a queue id; EBADMSG when the file does not parse (it
// belongs in corrupt/, nothing is appended); any failed call's errno (ENOENT: the file is gone,
// ENOSPC: the disk is full — nothing was recorded).
#pragma once

#include <string>

#include "common/result.h"
#include "envelope.pb.h"

namespace tern::spool {

// Appends `status` to queue_dirfd/queue_id and makes it durable before returning.
Result<void> append_status(int queue_dirfd, const std::string& queue_id,
                           const proto::RecipientStatus& status);

}  // namespace tern::spool

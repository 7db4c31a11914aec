// Spool file operations qmgr needs beyond common/spool: reading a message's bytes, removing a
// finished queue file durably, moving a file between queue/ and hold/, and committing a
// notice (DSN) as a new queue file. All run on the loop thread and block on fsync.
// Errors carry errno (ENOENT: the file is gone).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "envelope.pb.h"

namespace tern::qmgr {

// Up to `limit` bytes of the message part of dir/queue_id (the file's message_offset and
// length from its parse).
Result<std::string> read_message(int spool_dirfd, std::string_view dir, const std::string& queue_id,
                                 uint64_t offset, uint64_t length, uint64_t limit);

// unlink(dir/queue_id), then fsync(dir).
Result<void> remove_queue_file(int spool_dirfd, std::string_view dir, const std::string& queue_id);

// unlink(dir/queue_id) alone: for a finished message, whose removal may be lost in a crash (it
// is then delivered again, idempotently) and is made durable by a shared directory sync.
Result<void> unlink_queue_file(int spool_dirfd, std::string_view dir, const std::string& queue_id);

// Renames from/queue_id to to/queue_id without replacing anything, then fsyncs both.
Result<void> move_queue_file(int spool_dirfd, std::string_view from, std::string_view to,
                             const std::string& queue_id);

// Writes `message` under `envelope` (queue_id set) into queue/, durably.
Result<void> commit_message(int spool_dirfd, const proto::Envelope& envelope,
                            std::string_view message);

}  // namespace tern::qmgr

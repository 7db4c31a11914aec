// read_message_async: reads one queue file (envelope and message bytes) on libuv's work pool,
// so a large message or a slow disk never stalls the loop, and calls back on the loop thread.
// The callback is skipped when `alive` has expired (its owner went away meanwhile).
// Errors (missing, unreadable or corrupt file) come back as a Result error.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>

#include "common/result.h"
#include "common/spool/queue_file.h"

namespace tern::smtp {

struct QueuedMessage {
  spool::ParsedQueueFile file;
  std::string bytes;  // the message after the envelope
};

// Blocking: the file queue/<queue_id> under the current directory (the spool).
Result<QueuedMessage> read_queued_message(const std::string& queue_id);

void read_message_async(uv_loop_t* loop, std::string queue_id, std::weak_ptr<bool> alive,
                        std::function<void(Result<QueuedMessage>)> done);

}  // namespace tern::smtp

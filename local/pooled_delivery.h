// Pooled delivery: a virtual-mailbox Maildir delivery run on a thread of libuv's work pool
// instead of in a forked child. Forking local for every message cost more than the delivery
// itself (about 14 ms of CPU per message on a 2-core machine); a thread costs nothing to start.
//
// Only deliveries that run no program and take no mailbox lock qualify: a virtual recipient
// whose mailbox is a Maildir (ends in "/"). Its file operations run under the mailbox owner's
// ids, switched for the calling thread alone (thread_ids.h), so nothing else in local changes
// identity. Everything else (aliases, commands, files, mbox and its locks) stays in a child.
//
// A pool thread keeps the last owner's ids after a job (RecipientJob::keep_ids): each job
// becomes root to read its queue file and then the owner it needs, which for the usual single
// virtual owner costs two setresuid calls and nothing else. Nothing else in local runs on the
// work pool (no uv_fs_*, uv_getaddrinfo or other uv_queue_work), so no other work can find a
// pool thread that is not root; anything added there must ask ThreadIds for the ids it needs.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>

#include "common/config/config.h"
#include "delivery.pb.h"
#include "local/recipient_delivery.h"

namespace tern::local {

// True for a job that may run in the pool.
bool poolable(const RecipientJob& job);

// Runs deliver_recipient(*config, job) in the work pool; `done` gets the job back with its
// result, on the loop thread.
using PoolDone = std::function<void(const RecipientJob& job, proto::RecipientResult result)>;
void deliver_in_pool(uv_loop_t* loop, std::shared_ptr<const config::Config> config, RecipientJob job,
                     PoolDone done);

}  // namespace tern::local

// deliver_recipient(): everything local does for one recipient of one DeliveryRequest, run in
// a delivery child (delivery_child.h) or on a work-pool thread (pooled_delivery.h); it becomes
// root itself to read the spool. Reads the message from queue/<queue_id> (the
// request supplies names only: the sender and the bytes come from the queue file), refuses a
// forwarding loop (a Delivered-To: for this recipient already in the header: 5.4.6), prepends
// Return-Path: and Delivered-To:, then delivers: a virtual mailbox, or for a local recipient
// alias_maps first (alias_expansion.h), then the user's .forward (forward_file.h), and the
// system user's mailbox last.
//
// The result: DELIVERED when every local target took the message, with `expanded` listing
// the addresses alias expansion handed back for qmgr to route; otherwise the worst status of
// its targets (DEFERRED over BOUNCED), without `expanded` -- a retry expands again.
#pragma once

#include <string>

#include "common/config/config.h"
#include "delivery.pb.h"

namespace tern::local {

struct RecipientJob {
  std::string queue_id;
  proto::DeliveryRecipient recipient;
  bool is_virtual = false;
  // DeliveryRequest.first_attempt: no earlier attempt can have delivered this recipient, so
  // a Maildir delivery need not look for the copy such an attempt would have left.
  bool first_attempt = false;
  // Leave the thread as the mailbox owner afterwards (a work-pool thread, thread_ids.h); a
  // delivery child goes back to root after each target.
  bool keep_ids = false;
};

proto::RecipientResult deliver_recipient(const config::Config& config, const RecipientJob& job);

// Queue ids name files in queue/: letters and digits only.
bool safe_queue_id(const std::string& queue_id);

}  // namespace tern::local

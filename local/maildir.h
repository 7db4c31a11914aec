// Maildir delivery (https://cr.yp.to/proto/maildir.html), idempotent per DESIGN.md §4.
//
// The file name is derived from the queue id and the recipient's index (and the arrival time
// and host name, for Maildir readers that sort by name), never from the clock or a counter at
// delivery time. So a delivery repeated after a crash -- local wrote new/NAME, then died
// before qmgr recorded the recipient as done -- finds new/NAME (or cur/NAME:2,flags once a
// reader has seen it) and reports success without a second copy.
//
// Steps: create the Maildir (tmp, new, cur; and missing parents) if needed; write tmp/NAME;
// fsync; link to new/NAME (EEXIST: already delivered); unlink tmp/NAME; fsync new/.
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

// True when new/NAME or cur/NAME (with or without a ":2,..." info suffix) exists in the
// Maildir open as dirfd.
bool maildir_has_message(int maildir_fd, const std::string& name);

// Delivers `bytes` into the Maildir at `path` (a directory; a trailing '/' is fine) under
// `name`. size_limit 0: none; over it -> BOUNCED 5.2.2.
DeliveryStatus deliver_maildir(const std::string& path, const std::string& name, std::string_view bytes,
                               int64_t size_limit);

// mkdir -p of `path` with mode 0700 for the components it creates.
Result<void> make_directories(const std::string& path);

}  // namespace tern::local

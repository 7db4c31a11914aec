// The Postfix-shaped delivery log line (DESIGN.md §6), pure:
//   "to=<c@d>, orig_to=<a@d>, relay=mx.d[192.0.2.1]:25, delay=0.4, delays=0.1/0/0/0.3,
//    dsn=2.0.0, status=sent (250 2.0.0 ok)"
// delays = time before qmgr (arrival to activation) / in qmgr (to the job's start) / connection
// set-up (not reported by agents: 0) / the delivery itself.
#pragma once

#include <cstdint>
#include <string>

namespace tern::qmgr {

struct DeliveryLog {
  std::string to;
  std::string orig_to;       // printed only when it differs from `to`
  std::string relay;         // "none" when nothing was contacted
  int64_t arrival_us = 0;
  int64_t active_us = 0;     // when qmgr took the message in
  int64_t job_us = 0;        // when the job started (0: no job)
  int64_t now_us = 0;
  std::string dsn;
  std::string status;        // sent, deferred, bounced, expanded
  std::string text;          // the reason or reply
};

std::string format_delivery(const DeliveryLog& entry);

// Seconds as Postfix prints them: two significant digits below 10, whole seconds above.
std::string format_seconds(int64_t us);

// Peer text made safe for one log line or one header line: control characters become
// spaces, and it is cut at `limit` bytes.
std::string sanitize_text(const std::string& text, size_t limit = 1000);

}  // namespace tern::qmgr

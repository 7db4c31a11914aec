// Test-tool helper: writes one message into <spool>/queue as smtpd would leave it (a fresh
// queue id, arrival time now, protocol LOCAL, the file owned like queue/), for the tools that
// drive an agent directly (local_deliver, smtp_deliver).
#pragma once

#include <string>

#include "common/result.h"
#include "envelope.pb.h"

namespace tern::testtools {

// Fills in queue id and arrival time, commits the file, and returns the queue id.
Result<std::string> write_queue_message(const std::string& spool, proto::Envelope envelope,
                                        const std::string& message);

}  // namespace tern::testtools

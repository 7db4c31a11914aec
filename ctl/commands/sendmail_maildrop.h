// The maildrop: where sendmail keeps a message when smtpd cannot take it (Tern not running,
// or smtpd not serving public/submit yet). qmgr's pickup (qmgr/pickup.h) queues it later.
//
// The file is in the spool queue-file format (common/spool/queue_file.h): an Envelope with the
// sender, the recipients and the DSN parameters, then the message. client.local_uid is left
// unset: it would not be trusted. The submitter's uid is the FILE OWNER, which the kernel
// guarantees and pickup reads with fstat().
//
// Writing: <spool>/maildrop/tmp.<32 hex> with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600; write;
// fsync; chmod (below); rename (never replacing) to <32 hex>, both names from 128 bits of
// getrandom(); then make the rename durable: fsync(maildrop/) when we may open the directory
// (root, tern), else syncfs() on the file (maildrop/ is 1733, so other users cannot open it to
// fsync it; syncfs flushes the whole file system, which is slow but rare and correct).
//
// Who may read it: qmgr runs as tern and must read a file owned by the submitting user.
//   - If maildrop/ has the set-group-id bit (mode 3733, group tern), the file inherits group
//     tern and is made 0640: only its owner and tern can read it. This is the safe setting.
//   - Otherwise it is made 0644: readable by anyone who knows its name. maildrop/ cannot be
//     listed (1733) and the name carries 128 random bits, so the name cannot be guessed; but
//     the mode alone does not protect it, which is why the set-group-id directory is better.
//
// Errors carry errno (EACCES, ENOSPC, ENOENT when the spool does not exist...); the caller
// then exits 75. A failure leaves no temporary file behind.
#pragma once

#include <string>

#include "common/result.h"
#include "envelope.pb.h"

namespace tern::ctl {

// Writes the file; returns its final name (32 hex characters).
Result<std::string> write_maildrop(const std::string& spool_directory, const proto::Envelope& envelope,
                                   const std::string& message);

// 32 lower-case hex characters from getrandom().
Result<std::string> random_name();

}  // namespace tern::ctl

// Pickup: moves messages that `sendmail` kept in <spool>/maildrop/ (while smtpd could not take
// them) into the queue. qmgr calls pickup_maildrop() at the start of every queue run (at
// start-up, every queue_run_delay, on each wake-up), on its loop thread; the work per call is
// bounded by max_files, and `more` asks for another run.
//
// Each maildrop file was written by an untrusted local user, so it is read strictly:
//   name      "<32 hex>" (sendmail's final name); "tmp.<32 hex>" is a sendmail still writing,
//             removed when older than an hour; any other name is moved to corrupt/;
//   the file  opened O_NOFOLLOW|O_NONBLOCK (a symlink or FIFO never leads qmgr anywhere),
//             a regular file with one link, at most message_size_limit plus envelope room,
//             read whole into memory, parsed as a queue file (common/spool/queue_file.h) with
//             no status records, 1..smtpd_recipient_limit recipients, addresses that parse
//             as RFC 5321 paths, a message no larger than message_size_limit.
//   Anything else is logged and moved to corrupt/ as "maildrop.<queue id>".
//
// Identity: the submitter is the file's owner (fstat st_uid), which the kernel guarantees;
// client.local_uid in the file is ignored. The envelope sender in the file (sendmail -f) is
// honoured for every user, as Postfix's pickup does, and logged as "ID: uid=N from=<...>".
//
// Queueing: a new queue id, the envelope re-built from the checked fields (client protocol
// LOCAL, local_uid = owner), a "Received: by HOST (Tern, from userid N)" header, then the
// message, written with spool::QueueFileWriter and committed (fsync, rename, directory
// fsync). Only then is the maildrop file unlinked: a crash in between leaves both, so the
// message may be queued twice, never lost. A queue write failure (disk full) leaves the
// maildrop file for the next run.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "common/spool/queue_id.h"

namespace tern::qmgr {

struct PickupSettings {
  std::string myhostname;
  uint64_t message_size_limit = 10'240'000;  // 0: no limit
  size_t recipient_limit = 1000;
  size_t max_files = 100;                    // per call

  static PickupSettings from_config(const config::Config& config);
};

struct PickupResult {
  std::vector<std::string> queued;  // new queue ids
  int corrupt = 0;                  // files moved to corrupt/
  bool more = false;                // max_files reached: call again soon
};

PickupResult pickup_maildrop(int spool_dirfd, spool::QueueIdGenerator& ids, spool::Clock& clock,
                             const PickupSettings& settings);

}  // namespace tern::qmgr

// FreeFiles: recycle or unlink a finished queue file (see free_files.h).
#include "qmgr/free_files.h"

#include <cerrno>

#include "common/spool/file_io.h"
#include "common/spool/layout.h"
#include "common/spool/queue_id.h"
#include "common/spool/spool_scan.h"
#include "qmgr/spool_ops.h"

namespace tern::qmgr {

FreeFiles::FreeFiles(int spool_dirfd, int64_t now_us)
    : spool_dirfd_(spool_dirfd), estimate_(count()), counted_us_(now_us) {}

Result<void> FreeFiles::retire(const std::string& queue_id, uint64_t message_length, int64_t now_us) {
  if (!spool::is_valid_queue_id(queue_id)) return fail("invalid queue id", EINVAL);
  if (message_length <= kMaxMessageLength) {
    if (estimate_ >= kMaxFiles && now_us - counted_us_ >= kRecountUs) {
      estimate_ = count();
      counted_us_ = now_us;
    }
    if (estimate_ < kMaxFiles) {
      std::string from = std::string(spool::kQueueDir) + "/" + queue_id;
      std::string to = std::string(spool::kFreeDir) + "/" + queue_id;
      if (spool::rename_noreplace(spool_dirfd_, from.c_str(), to.c_str()) == 0) {
        ++estimate_;
        return {};
      }
      // free/ missing, a name clash there, or the file gone (the unlink reports ENOENT).
    }
  }
  return unlink_queue_file(spool_dirfd_, spool::kQueueDir, queue_id);
}

size_t FreeFiles::count() const {
  auto names = spool::list_queue(spool_dirfd_, spool::kFreeDir);  // not yet claimed by smtpd
  return names ? names->size() : 0;
}

}  // namespace tern::qmgr

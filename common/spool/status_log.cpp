// Durable status appends (see status_log.h): open, find the end of the last good record, cut a
// torn tail, one pwrite, fdatasync.
#include "common/spool/status_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/spool/file_io.h"
#include "common/spool/queue_file.h"
#include "common/spool/queue_id.h"

namespace tern::spool {

Result<void> append_status(int queue_dirfd, const std::string& queue_id,
                           const proto::RecipientStatus& status) {
  if (!is_valid_queue_id(queue_id)) return fail("invalid queue id '" + queue_id + "'", EINVAL);
  int raw = ::openat(queue_dirfd, queue_id.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  if (raw < 0) return fail_errno(queue_id + ": open", errno);
  UniqueFd fd(raw);
  auto parsed = read_queue_fd(fd.get(), queue_id);
  if (!parsed) return std::unexpected(parsed.error());
  if (parsed->torn_tail &&
      ::ftruncate(fd.get(), static_cast<off_t>(parsed->valid_length)) < 0)
    return fail_errno(queue_id + ": truncate torn status record", errno);

  std::string record = encode_status_record(status);
  if (auto r = pwrite_all(fd.get(), record, parsed->valid_length, queue_id); !r) {
    // A short record would be cut off by the next append anyway; remove it now so that the
    // file is exactly as it was.
    if (::ftruncate(fd.get(), static_cast<off_t>(parsed->valid_length)) == 0) ::fdatasync(fd.get());
    return r;
  }
  if (::fdatasync(fd.get()) < 0) return fail_errno(queue_id + ": fdatasync", errno);
  return {};
}

}  // namespace tern::spool

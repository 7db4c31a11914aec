// qmgr's spool file operations (see spool_ops.h).
#include "qmgr/spool_ops.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/spool/file_io.h"
#include "common/spool/queue_id.h"
#include "common/spool/queue_writer.h"

namespace tern::qmgr {
namespace {

std::string path_of(std::string_view dir, const std::string& queue_id) {
  return std::string(dir) + "/" + queue_id;
}

Result<void> sync_dir(int spool_dirfd, std::string_view dir) {
  auto fd = spool::open_directory(spool_dirfd, std::string(dir));
  if (!fd) return std::unexpected(fd.error());
  return spool::sync_directory(fd->get());
}

}  // namespace

Result<std::string> read_message(int spool_dirfd, std::string_view dir, const std::string& queue_id,
                                 uint64_t offset, uint64_t length, uint64_t limit) {
  if (!spool::is_valid_queue_id(queue_id)) return fail("invalid queue id", EINVAL);
  std::string path = path_of(dir, queue_id);
  int raw = ::openat(spool_dirfd, path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (raw < 0) return fail_errno(path + ": open", errno);
  spool::UniqueFd fd(raw);
  return spool::pread_exact(fd.get(), std::min(length, limit), offset, path);
}

Result<void> remove_queue_file(int spool_dirfd, std::string_view dir, const std::string& queue_id) {
  if (!spool::is_valid_queue_id(queue_id)) return fail("invalid queue id", EINVAL);
  std::string path = path_of(dir, queue_id);
  if (::unlinkat(spool_dirfd, path.c_str(), 0) < 0) return fail_errno(path + ": unlink", errno);
  return sync_dir(spool_dirfd, dir);
}

Result<void> unlink_queue_file(int spool_dirfd, std::string_view dir, const std::string& queue_id) {
  if (!spool::is_valid_queue_id(queue_id)) return fail("invalid queue id", EINVAL);
  std::string path = path_of(dir, queue_id);
  if (::unlinkat(spool_dirfd, path.c_str(), 0) < 0) return fail_errno(path + ": unlink", errno);
  return {};
}

Result<void> move_queue_file(int spool_dirfd, std::string_view from, std::string_view to,
                             const std::string& queue_id) {
  if (!spool::is_valid_queue_id(queue_id)) return fail("invalid queue id", EINVAL);
  std::string source = path_of(from, queue_id);
  std::string target = path_of(to, queue_id);
  if (spool::rename_noreplace(spool_dirfd, source.c_str(), target.c_str()) < 0)
    return fail_errno(source + ": rename to " + target, errno);
  if (auto r = sync_dir(spool_dirfd, to); !r) return r;
  return sync_dir(spool_dirfd, from);
}

Result<void> commit_message(int spool_dirfd, const proto::Envelope& envelope,
                            std::string_view message) {
  auto writer = spool::QueueFileWriter::create(spool_dirfd, envelope.queue_id(), envelope);
  if (!writer) return std::unexpected(writer.error());
  if (auto r = writer->append(message); !r) return r;
  return writer->commit();
}

}  // namespace tern::qmgr

// read_queued_message(): one pread for a small queue file, the piecewise reader for a large one.
#include "local/queued_message.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/spool/file_io.h"
#include "common/spool/queue_file.h"

namespace tern::local {
namespace {

Result<QueuedMessage> read_whole(int fd, uint64_t size, const std::string& path) {
  QueuedMessage out;
  auto bytes = spool::pread_exact(fd, size, 0, path);
  if (!bytes) return std::unexpected(bytes.error());
  auto parsed = spool::parse_queue_file(*bytes);
  if (!parsed) return fail(path + ": " + parsed.error().message, parsed.error().code);
  out.envelope = std::move(parsed->envelope);
  out.bytes = std::move(*bytes);
  out.message_offset = parsed->message_offset;
  out.message_length = parsed->message_length;
  return out;
}

Result<QueuedMessage> read_in_pieces(int fd, const std::string& path) {
  QueuedMessage out;
  auto parsed = spool::read_queue_fd(fd, path);
  if (!parsed) return std::unexpected(parsed.error());
  auto bytes = spool::pread_exact(fd, parsed->message_length, parsed->message_offset, path);
  if (!bytes) return std::unexpected(bytes.error());
  out.envelope = std::move(parsed->envelope);
  out.bytes = std::move(*bytes);
  out.message_length = out.bytes.size();
  return out;
}

}  // namespace

Result<QueuedMessage> read_queued_message(const std::string& path, uint64_t whole_file_limit) {
  spool::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return fail_errno("open " + path, errno);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return fail_errno(path + ": stat", errno);
  if (!S_ISREG(st.st_mode)) return fail(path + ": not a regular file", EBADMSG);
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size <= whole_file_limit) return read_whole(fd.get(), size, path);
  return read_in_pieces(fd.get(), path);
}

}  // namespace tern::local

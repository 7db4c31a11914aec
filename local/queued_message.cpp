// read_queued_message(): spool::read_queue_fd, which reads a small file in one pread and hands
// it over whole, then one more pread for the message of a large one.
#include "local/queued_message.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "common/spool/file_io.h"
#include "common/spool/queue_file.h"

namespace tern::local {

Result<QueuedMessage> read_queued_message(const std::string& path, uint64_t whole_file_limit) {
  spool::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return fail_errno("open " + path, errno);
  QueuedMessage out;
  auto parsed = spool::read_queue_fd(fd.get(), path, &out.bytes, whole_file_limit);
  if (!parsed) return std::unexpected(parsed.error());
  out.envelope = std::move(parsed->envelope);
  out.message_length = parsed->message_length;
  if (!out.bytes.empty()) {
    out.message_offset = parsed->message_offset;
    return out;
  }
  auto message = spool::pread_exact(fd.get(), parsed->message_length, parsed->message_offset, path);
  if (!message) return std::unexpected(message.error());
  out.bytes = std::move(*message);
  return out;
}

}  // namespace tern::local

// The durable queue-file writer (see queue_writer.h).
#include "common/spool/queue_writer.h"

#include <fcntl.h>
#include <sys/statfs.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "common/check.h"
#include "common/spool/layout.h"
#include "common/spool/queue_file.h"
#include "common/spool/queue_id.h"
#include "common/spool/recycled_files.h"

namespace tern::spool {
namespace {

// writev() of two pieces until both are written.
Result<void> writev_all(int fd, std::string_view a, std::string_view b, const std::string& what) {
  while (!a.empty() || !b.empty()) {
    struct iovec iov[2] = {{const_cast<char*>(a.data()), a.size()},
                           {const_cast<char*>(b.data()), b.size()}};
    ssize_t n = ::writev(fd, iov, 2);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno(what + ": write", errno);
    }
    size_t done = static_cast<size_t>(n);
    size_t from_a = std::min(done, a.size());
    a.remove_prefix(from_a);
    b.remove_prefix(done - from_a);
  }
  return {};
}

}  // namespace

bool file_fsync_persists_new_names(int dirfd) {
  constexpr unsigned long kExt4 = 0xEF53, kXfs = 0x58465342, kBtrfs = 0x9123683E;
  struct statfs fs;
  if (::fstatfs(dirfd, &fs) != 0) return false;
  auto type = static_cast<unsigned long>(fs.f_type);
  return type == kExt4 || type == kXfs || type == kBtrfs;
}

Result<void> sync_directory(int dirfd) {
  if (::fsync(dirfd) < 0) return fail_errno("fsync directory", errno);
  return {};
}

Result<QueueFileWriter> QueueFileWriter::create(int spool_dirfd, std::string queue_id,
                                                const proto::Envelope& envelope, bool unnamed,
                                                RecycledFiles* recycled) {
  if (!is_valid_queue_id(queue_id)) return fail("invalid queue id '" + queue_id + "'", EINVAL);
  std::string envelope_bytes = envelope.SerializeAsString();
  if (envelope_bytes.size() > kMaxEnvelopeBytes)
    return fail(queue_id + ": envelope too large", E2BIG);
  std::string header = encode_queue_header(kUncommittedLength, envelope_bytes);
  if (recycled) {
    if (auto claimed = recycled->take()) {
      QueueFileWriter writer(spool_dirfd, std::move(queue_id), std::move(claimed->fd), false, std::move(header));
      writer.claimed_path_ = std::move(claimed->path);
      writer.recycled_ = true;
      writer.may_rename_before_sync_ = unnamed;  // the same file systems (queue_writer.h)
      return writer;
    }
  }
  if (unnamed) {
    int fd = ::openat(spool_dirfd, kQueueDir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
    if (fd >= 0) return QueueFileWriter(spool_dirfd, std::move(queue_id), UniqueFd(fd), true, std::move(header));
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
      return fail_errno(std::string(kQueueDir) + ": create a file", errno);
  }
  std::string path = std::string(kIncomingDir) + "/" + queue_id;
  int fd = ::openat(spool_dirfd, path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return fail_errno(path + ": create", errno);
  return QueueFileWriter(spool_dirfd, std::move(queue_id), UniqueFd(fd), false, std::move(header));
}

QueueFileWriter::QueueFileWriter(int spool_dirfd, std::string queue_id, UniqueFd fd, bool unnamed,
                                 std::string header)
    : spool_dirfd_(spool_dirfd),
      queue_id_(std::move(queue_id)),
      fd_(std::move(fd)),
      unnamed_(unnamed),
      buffer_(std::move(header)) {
  buffer_.reserve(kBufferSize + kQueueFileTrailerSize);
}

QueueFileWriter::QueueFileWriter(QueueFileWriter&& other) noexcept
    : spool_dirfd_(other.spool_dirfd_),
      queue_id_(std::move(other.queue_id_)),
      fd_(std::move(other.fd_)),
      unnamed_(other.unnamed_),
      recycled_(other.recycled_),
      may_rename_before_sync_(other.may_rename_before_sync_),
      claimed_path_(std::move(other.claimed_path_)),
      state_(std::exchange(other.state_, State::kMovedFrom)),
      buffer_(std::move(other.buffer_)),
      written_(other.written_),
      message_length_(other.message_length_),
      crc_(other.crc_),
      error_(std::move(other.error_)) {}

QueueFileWriter::~QueueFileWriter() {
  if (state_ == State::kWriting || state_ == State::kSynced) abort();
}

std::string QueueFileWriter::incoming_path() const {
  return recycled_ ? claimed_path_ : std::string(kIncomingDir) + "/" + queue_id_;
}

std::string QueueFileWriter::file_name() const {
  return unnamed_ ? queue_path() + " (unnamed until linked)" : incoming_path();
}

std::string QueueFileWriter::queue_path() const {
  return std::string(kQueueDir) + "/" + queue_id_;
}

std::unexpected<Error> QueueFileWriter::fail_and_discard(Error error) {
  fd_.reset();  // an unnamed file goes with its last descriptor
  if (!unnamed_) ::unlinkat(spool_dirfd_, incoming_path().c_str(), 0);
  error_ = error;
  state_ = State::kFailed;
  return std::unexpected(std::move(error));
}

Result<void> QueueFileWriter::append(std::string_view bytes) {
  if (state_ == State::kFailed) return std::unexpected(*error_);
  TERN_CHECK(state_ == State::kWriting);
  message_length_ += bytes.size();
  if (buffer_.size() + bytes.size() < kBufferSize) {
    buffer_.append(bytes);
    return {};
  }
  // A large piece goes out together with what is pending, without being copied.
  sum_buffer();
  crc_ = crc32_update(crc_, bytes);
  if (auto r = writev_all(fd_.get(), buffer_, bytes, file_name()); !r)
    return fail_and_discard(r.error());
  written_ += buffer_.size() + bytes.size();
  buffer_.clear();
  return {};
}

// The checksum goes on over the buffered bytes (file offsets from written_, the first
// kChecksumFrom of the file left out) as they leave for the file: a message that fits the
// buffer is summed once, by finish_and_sync() on the commit's work-pool thread, not piece by
// piece on smtpd's loop thread as the session appends it.
void QueueFileWriter::sum_buffer() {
  std::string_view pending = buffer_;
  if (written_ < kChecksumFrom) pending.remove_prefix(kChecksumFrom - written_);
  crc_ = crc32_update(crc_, pending);
}

Result<void> QueueFileWriter::finish_and_sync() {
  if (state_ == State::kFailed) return std::unexpected(*error_);
  TERN_CHECK(state_ == State::kWriting);
  sum_buffer();
  buffer_.append(encode_queue_trailer(crc_, message_length_));
  char length[8];
  store_be64(length, message_length_);
  // When nothing has been written yet the header is still in the buffer: the length goes in
  // there and the whole file is one write.
  const bool header_pending = written_ == 0;
  if (header_pending) buffer_.replace(kMessageLengthOffset, sizeof length, length, sizeof length);
  Result<void> r = write_all(fd_.get(), buffer_, file_name());
  if (r && !header_pending) {
    r = pwrite_all(fd_.get(), std::string_view(length, sizeof length), kMessageLengthOffset,
                   file_name());
  }
  if (!r) return fail_and_discard(r.error());
  written_ += buffer_.size();
  buffer_ = std::string();
  if (unnamed_) return link_and_sync();
  // A recycled file may be longer than this message: its old tail goes before the fsync.
  if (recycled_ && ::ftruncate(fd_.get(), static_cast<off_t>(written_)) < 0)
    return fail_and_discard(Error::from_errno(file_name() + ": truncate", errno));
  if (renames_before_sync()) return rename_and_sync();
  if (::fsync(fd_.get()) < 0)
    return fail_and_discard(Error::from_errno(file_name() + ": fsync", errno));
  fd_.reset();
  state_ = State::kSynced;
  return {};
}

// The unnamed file, complete, gets its name before the fsync, so that one fsync makes both
// durable: on ext4 the fsync of a newly named file writes its directory too (without a journal
// it syncs the parent; with one, the name is in the transaction it commits), and XFS and btrfs
// log a new name with the file. qmgr may read the file before the fsync ends -- it is whole in
// the page cache -- but hears of it only after; a crash before then leaves a file that never
// got its 250 (moved to corrupt/ if its bytes did not reach the disk).
Result<void> QueueFileWriter::link_and_sync() {
  // linkat(AT_EMPTY_PATH) would need CAP_DAC_READ_SEARCH; the /proc name needs nothing.
  std::string self = "/proc/self/fd/" + std::to_string(fd_.get());
  if (::linkat(AT_FDCWD, self.c_str(), spool_dirfd_, queue_path().c_str(), AT_SYMLINK_FOLLOW) < 0)
    return fail_and_discard(Error::from_errno(queue_path() + ": link", errno));
  state_ = State::kPublished;
  return sync_named_file();
}

// A small recycled file, rewritten whole, is renamed into queue/ before its fsync, which then
// makes the new name durable with the bytes (as for an unnamed file: on ext4 the rename marks
// the new entry for the fsync to write out; XFS and btrfs log it with the file). A crash before
// the fsync ends may leave queue/<id> on the old message's bytes or on a mix of old and new
// blocks; the file's checksum, checked on every read of a file this small, and the queue id in
// its envelope, which qmgr compares with the name, send it to corrupt/ instead of delivering it.
// The client never got its 250 for it.
Result<void> QueueFileWriter::rename_and_sync() {
  if (auto r = rename_into_queue(); !r) return r;
  return sync_named_file();
}

Result<void> QueueFileWriter::rename_into_queue() {
  if (rename_noreplace(spool_dirfd_, incoming_path().c_str(), queue_path().c_str()) < 0) {
    return fail_and_discard(
        Error::from_errno(incoming_path() + ": rename to " + queue_path(), errno));
  }
  state_ = State::kPublished;
  return {};
}

// The fsync that makes a file named in queue/ durable with its name; when it fails, the name
// is withdrawn: the message was not accepted.
Result<void> QueueFileWriter::sync_named_file() {
  if (::fsync(fd_.get()) < 0) {
    Error error = Error::from_errno(queue_path() + ": fsync", errno);
    abort();  // withdraws queue/<id>
    error_ = error;
    state_ = State::kFailed;
    return std::unexpected(std::move(error));
  }
  fd_.reset();
  return {};
}

Result<void> QueueFileWriter::publish() {
  if (state_ == State::kFailed) return std::unexpected(*error_);
  if (state_ == State::kPublished && !needs_directory_sync()) return {};  // named by finish_and_sync()
  TERN_CHECK(state_ == State::kSynced);
  return rename_into_queue();
}

Result<void> QueueFileWriter::commit() {
  if (auto r = finish_and_sync(); !r) return r;
  if (auto r = publish(); !r) return r;
  if (!needs_directory_sync()) {
    state_ = State::kCommitted;
    return {};
  }
  auto dir = open_directory(spool_dirfd_, kQueueDir);
  Result<void> synced =
      dir ? sync_directory(dir->get()) : Result<void>(std::unexpected(dir.error()));
  if (!synced) {
    // Not durable, so not accepted: withdraw the file rather than deliver what the client
    // will send again.
    abort();
    error_ = Error{queue_path() + ": " + synced.error().message, synced.error().code};
    state_ = State::kFailed;
    return std::unexpected(*error_);
  }
  state_ = State::kCommitted;
  return {};
}

void QueueFileWriter::abort() {
  switch (state_) {
    case State::kWriting:
    case State::kSynced:
      fd_.reset();
      if (!unnamed_) ::unlinkat(spool_dirfd_, incoming_path().c_str(), 0);
      break;
    case State::kPublished:
      ::unlinkat(spool_dirfd_, queue_path().c_str(), 0);
      break;
    case State::kCommitted:  // accepted: the message belongs to qmgr now
    case State::kFailed:     // already discarded
    case State::kAborted:
    case State::kMovedFrom:
      return;
  }
  state_ = State::kAborted;
}

}  // namespace tern::spool

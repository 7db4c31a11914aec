// QueueFileWriter: writes one accepted message durably into the spool (DESIGN.md §4,
// STYLE.md §8). Used by smtpd (and the maildrop pickup) on its loop thread, or in the libuv
// work pool for the blocking calls; one writer is used from one thread at a time.
//
//   create()           open incoming/<id> with O_CREAT|O_EXCL, mode 0600 -- or, when given
//                      `recycled`, a finished queue file claimed from free/ (as
//                      free/claimed-<old id>, recycled_files.h), or when asked (`unnamed`)
//                      a file without a name in queue/ (O_TMPFILE)
//   append()*          message bytes, buffered and written in large pieces
//   finish_and_sync()  trailer and checksum, message length into the header, a recycled file
//                      cut to its new length, fsync(file); an unnamed file is linked as
//                      queue/<id> (through /proc/self/fd) before that fsync, which then makes
//                      its name durable too (link_and_sync), and so is a recycled file of at
//                      most kWholeReadLimit bytes renamed (rename_and_sync; its checksum
//                      exposes a crash in between, queue_file.h)
//   publish()          renameat2(incoming/<id> -> queue/<id>, RENAME_NOREPLACE); nothing more
//                      for a file already named by finish_and_sync()
//   sync_directory()   fsync(queue/), when needs_directory_sync() — may be shared by several
//                      writers (group commit)
//   commit()           the three above, in order; only after it returns may smtpd say 250
//
// A small message costs one write (header, envelope, body and trailer together, the length
// already filled in), one fsync, one rename (or link) and a share of the directory's fsync.
// An unnamed file is never seen unfinished either, and incoming/ is not touched: no entry to
// make there, for the file's fsync to write out (a new file's fsync on ext4 also writes its
// directory) and then to rename away.
//
// Errors carry errno: ENOSPC/EDQUOT (or EFBIG) from a write mean a full disk and must be
// answered 452 4.3.1; EEXIST means the queue id is already taken. Any failure before the file is
// published unlinks incoming/<id>, so no partial file is left; later calls return the same
// error. The writer owns the incoming file until it is published: abort() — or the destructor,
// if publish() never ran — unlinks it. After publish() the destructor leaves queue/<id> alone;
// if the shared directory fsync then fails, call abort() to withdraw queue/<id> (commit() does).
// The spool dirfd is borrowed and must stay open while the writer lives.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/spool/file_io.h"
#include "common/spool/queue_file.h"
#include "envelope.pb.h"

namespace tern::spool {

class RecycledFiles;

// fsync() a directory, making renames and unlinks in it durable.
Result<void> sync_directory(int dirfd);

// True when the directory is on a file system where fsync() of a newly linked file makes its
// name durable too: ext4 (with a journal the name is in the transaction the fsync commits;
// without one the fsync writes the new entry's directory), XFS and btrfs (they log the new
// name with the file). Only there may a queue file be written unnamed and linked before its
// fsync with no fsync of queue/ (QueueFileWriter::create's `unnamed`).
bool file_fsync_persists_new_names(int dirfd);

class QueueFileWriter {
 public:
  // Body bytes are held until this many are pending, then written in one call.
  static constexpr size_t kBufferSize = 256 * 1024;

  // `unnamed`: make the file in queue/ without a name (needs /proc/self/fd, which the caller
  // checks once); where the file system has no O_TMPFILE, incoming/ is used all the same.
  // `recycled` is tried first; a file from it is written under its claimed name and renamed
  // like one in incoming/ -- after its fsync and with an fsync of queue/, or (a small file,
  // where `unnamed` says the file system allows it) before its single fsync.
  static Result<QueueFileWriter> create(int spool_dirfd, std::string queue_id,
                                        const proto::Envelope& envelope, bool unnamed = false,
                                        RecycledFiles* recycled = nullptr);

  QueueFileWriter(QueueFileWriter&& other) noexcept;
  QueueFileWriter& operator=(QueueFileWriter&&) = delete;
  QueueFileWriter(const QueueFileWriter&) = delete;
  QueueFileWriter& operator=(const QueueFileWriter&) = delete;
  ~QueueFileWriter();

  Result<void> append(std::string_view bytes);
  Result<void> finish_and_sync();
  Result<void> publish();
  // A renamed file's name is durable only after an fsync of queue/; an unnamed file's name,
  // and that of a file renamed before its fsync, were made durable by its own fsync.
  bool needs_directory_sync() const { return !unnamed_ && !renames_before_sync(); }
  Result<void> commit();
  // Unlinks the file wherever it is (incoming/ or, after publish(), queue/). Idempotent; a
  // no-op after commit() succeeded, since the message is then accepted and belongs to qmgr.
  void abort();

  const std::string& queue_id() const { return queue_id_; }
  uint64_t message_length() const { return message_length_; }

 private:
  enum class State { kWriting, kSynced, kPublished, kCommitted, kFailed, kAborted, kMovedFrom };

  QueueFileWriter(int spool_dirfd, std::string queue_id, UniqueFd fd, bool unnamed, std::string header);
  void sum_buffer();
  Result<void> link_and_sync();
  Result<void> rename_and_sync();
  Result<void> rename_into_queue();  // incoming (or claimed) name -> queue/<id>
  // A small recycled file, where the fsync persists a new name: renamed before its fsync
  // (meaningful once finish_and_sync() has written it all).
  bool renames_before_sync() const {
    return recycled_ && may_rename_before_sync_ && written_ <= kWholeReadLimit;
  }
  Result<void> sync_named_file();
  // Unlinks incoming/<id>, closes the file, remembers the error and returns it.
  std::unexpected<Error> fail_and_discard(Error error);
  std::string incoming_path() const;
  std::string file_name() const;  // for messages: where the file being written is
  std::string queue_path() const;

  int spool_dirfd_ = -1;
  std::string queue_id_;
  UniqueFd fd_;
  bool unnamed_ = false;         // O_TMPFILE in queue/: no incoming/<id>
  bool recycled_ = false;        // a file from free/, longer than this message perhaps
  bool may_rename_before_sync_ = false;  // recycled, where the fsync persists a new name
  std::string claimed_path_;     // a recycled file's name while it is written: free/claimed-*
  State state_ = State::kWriting;
  std::string buffer_;           // bytes not yet written, starting at file offset written_
  uint64_t written_ = 0;         // bytes already in the file
  uint64_t message_length_ = 0;
  uint32_t crc_ = 0;             // CRC-32 of the file from kChecksumFrom to written_
  std::optional<Error> error_;   // the failure, returned again by later calls
};

}  // namespace tern::spool

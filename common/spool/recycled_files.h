// RecycledFiles: queue files whose messages are done, written again for new messages instead
// of each message allocating an inode and freeing it. qmgr moves a finished queue file from
// queue/ to free/ (qmgr/free_files.h); smtpd claims files from free/ for its next messages.
//
// Why: on ext4 without a journal, creating a file skips every inode freed in the last minutes
// (while their inode-table block is dirty), looking each one up; with one file created and
// removed per message, a busy queue made every create scan thousands of them: a quarter of
// smtpd's CPU in the benchmark. A recycled file also keeps its blocks: none to allocate when
// it is written, none to free (and discard) when it is done.
//
// refill() claims a batch: it renames each free/NAME to free/claimed-PID-NAME (RENAME_NOREPLACE:
// of two smtpd processes only one gets a file; the other sees ENOENT), then fsyncs free/ and
// queue/. Only then are the files handed out by take(), because a file may hold a new message
// only once no name that could come back after a crash still leads to it: the fsync of queue/
// makes qmgr's move out of queue/ durable (else queue/<old id> could return holding the new
// message), the fsync of free/ the claim itself (else free/NAME could return, be claimed again
// and overwrite the new message). The writer then overwrites the file from offset 0 and cuts
// it to its new length. A small file (up to kWholeReadLimit, where the file system's fsync
// persists a new name) is renamed into queue/ and then fsynced once: what a crash in between
// leaves under the new name fails its checksum or names the old queue id, and qmgr moves it
// to corrupt/ (queue_file.h). A larger one is fsynced and renamed like a file written in
// incoming/, with an fsync of queue/ after it.
// A crash can leave claimed names in free/, some perhaps still naming a file that became a
// queue file (the rename into queue/ removed the claimed name, not durably): master unlinks
// them at start, before any smtpd runs, and a refill never takes them. When an smtpd dies
// alone, master removes the names it had claimed. A crash can also lose an entry of free/ (fsck finds
// the inode). No mail is lost either way.
//
// take() never touches free/ or waits for a disk write: it opens one claimed file. refill()
// blocks (a directory pass, a rename per file, two fsyncs) and belongs on a work-pool thread;
// wants_refill() says when one is due and reserves it. Thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/spool/file_io.h"

namespace tern::spool {

// A claimed file's name in free/: "claimed-<smtpd pid>-<old queue id>", never a queue id
// itself, so a refill never takes it again. master removes an smtpd's names when it exits,
// and all of them at start (clean_claimed_files).
inline constexpr std::string_view kClaimedPrefix = "claimed-";
// "claimed-<pid>-", or "claimed-" for every smtpd.
std::string claimed_prefix(std::optional<int> pid);

class RecycledFiles {
 public:
  struct Claimed {
    UniqueFd fd;               // write-only, at offset 0
    std::string path;           // relative to the spool: "free/claimed-<pid>-<old queue id>"
  };

  // Keeps descriptors of its own for the spool, free/ and queue/, so that a refill still
  // running on a work-pool thread may outlive its caller.
  static Result<std::unique_ptr<RecycledFiles>> open(int spool_dirfd);
  RecycledFiles(const RecycledFiles&) = delete;
  RecycledFiles& operator=(const RecycledFiles&) = delete;
  ~RecycledFiles();  // unlinks the claimed files nobody took

  // A claimed file, or nullopt when none is ready (the caller creates a file instead).
  std::optional<Claimed> take();

  // True when the caller should run refill() now: few claimed files are left, no refill is
  // running, and the last one found free/ not empty (or long enough ago).
  bool wants_refill();

  // Claims a batch from free/ (see above). Runs when wants_refill() said so.
  void refill();

  uint64_t taken() const;  // files handed out so far: for the tests

  static constexpr size_t kBatch = 128;
  static constexpr size_t kLowWater = 32;
  static constexpr std::chrono::milliseconds kIdlePause{200};  // after finding free/ empty

 private:
  RecycledFiles(UniqueFd spool_dir, UniqueFd free_dir, UniqueFd queue_dir)
      : spool_dir_(std::move(spool_dir)), free_dir_(std::move(free_dir)), queue_dir_(std::move(queue_dir)) {}

  UniqueFd spool_dir_;
  UniqueFd free_dir_;
  UniqueFd queue_dir_;
  std::string prefix_;  // claimed_prefix(this process)
  mutable std::mutex mutex_;
  std::vector<std::string> claimed_;  // names in free/, ready for take()
  bool refilling_ = false;
  std::chrono::steady_clock::time_point next_refill_{};
  uint64_t taken_ = 0;
};

}  // namespace tern::spool

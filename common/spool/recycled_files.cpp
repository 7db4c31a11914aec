// RecycledFiles: claiming finished queue files from free/ (see recycled_files.h).
#include "common/spool/recycled_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "common/spool/layout.h"
#include "common/spool/queue_id.h"
#include "common/spool/queue_writer.h"
#include "common/spool/spool_scan.h"

namespace tern::spool {
namespace {

std::string free_path(const std::string& name) { return std::string(kFreeDir) + "/" + name; }

}  // namespace

std::string claimed_prefix(std::optional<int> pid) {
  return pid ? std::string(kClaimedPrefix) + std::to_string(*pid) + "-" : std::string(kClaimedPrefix);
}

Result<std::unique_ptr<RecycledFiles>> RecycledFiles::open(int spool_dirfd) {
  auto spool = open_directory(spool_dirfd, ".");
  if (!spool) return std::unexpected(spool.error());
  auto free_dir = open_directory(spool_dirfd, kFreeDir);
  if (!free_dir) return std::unexpected(free_dir.error());
  auto queue_dir = open_directory(spool_dirfd, kQueueDir);
  if (!queue_dir) return std::unexpected(queue_dir.error());
  std::unique_ptr<RecycledFiles> files(new RecycledFiles(std::move(*spool), std::move(*free_dir), std::move(*queue_dir)));
  files->prefix_ = claimed_prefix(static_cast<int>(::getpid()));
  return files;
}

RecycledFiles::~RecycledFiles() {
  for (const std::string& name : claimed_) ::unlinkat(spool_dir_.get(), free_path(name).c_str(), 0);
}

std::optional<RecycledFiles::Claimed> RecycledFiles::take() {
  std::lock_guard lock(mutex_);
  while (!claimed_.empty()) {
    std::string name = std::move(claimed_.back());
    claimed_.pop_back();
    std::string path = free_path(name);
    UniqueFd fd(::openat(spool_dir_.get(), path.c_str(), O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd.valid()) {
      ::unlinkat(spool_dir_.get(), path.c_str(), 0);
      continue;
    }
    ++taken_;
    return Claimed{std::move(fd), std::move(path)};
  }
  return std::nullopt;
}

bool RecycledFiles::wants_refill() {
  std::lock_guard lock(mutex_);
  if (refilling_ || claimed_.size() >= kLowWater || std::chrono::steady_clock::now() < next_refill_) return false;
  refilling_ = true;
  return true;
}

void RecycledFiles::refill() {
  std::vector<std::string> claimed;
  // Queue ids only: a claimed-* name is never taken again.
  std::vector<std::string> names = list_queue(spool_dir_.get(), kFreeDir).value_or(std::vector<std::string>{});
  if (names.size() > kBatch) names.resize(kBatch);
  for (const std::string& name : names) {
    std::string to_name = prefix_ + name;
    if (rename_noreplace(spool_dir_.get(), free_path(name).c_str(), free_path(to_name).c_str()) == 0)
      claimed.push_back(std::move(to_name));
  }
  // Durable: no longer in free/, and (moved there before this began) no longer in queue/.
  if (!claimed.empty() && (!sync_directory(free_dir_.get()) || !sync_directory(queue_dir_.get()))) {
    for (const std::string& name : claimed) ::unlinkat(spool_dir_.get(), free_path(name).c_str(), 0);
    claimed.clear();
  }
  std::lock_guard lock(mutex_);
  refilling_ = false;
  if (claimed.empty()) next_refill_ = std::chrono::steady_clock::now() + kIdlePause;
  for (std::string& name : claimed) claimed_.push_back(std::move(name));
}

uint64_t RecycledFiles::taken() const {
  std::lock_guard lock(mutex_);
  return taken_;
}

}  // namespace tern::spool

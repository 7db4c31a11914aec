// RecycledFiles: claiming finished queue files from free/ (see recycled_files.h).
#include "common/spool/recycled_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "common/spool/layout.h"
#include "common/spool/queue_id.h"
#include "common/spool/queue_writer.h"

namespace tern::spool {
namespace {

std::string claimed_path(const std::string& name) { return std::string(kFreeDir) + "/" + name; }

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
  for (const std::string& name : claimed_) ::unlinkat(spool_dir_.get(), claimed_path(name).c_str(), 0);
}

std::optional<RecycledFiles::Claimed> RecycledFiles::take() {
  std::lock_guard lock(mutex_);
  while (!claimed_.empty()) {
    std::string name = std::move(claimed_.back());
    claimed_.pop_back();
    std::string path = claimed_path(name);
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

std::vector<std::string> RecycledFiles::read_free_names(size_t limit) {
  std::vector<std::string> names;
  char buffer[16 * 1024];
  if (::lseek(free_dir_.get(), 0, SEEK_SET) != 0) return names;
  while (names.size() < limit) {
    ssize_t n = ::getdents64(free_dir_.get(), buffer, sizeof buffer);
    if (n <= 0) break;
    for (ssize_t pos = 0; pos < n && names.size() < limit;) {
      const auto* entry = reinterpret_cast<const dirent64*>(buffer + pos);
      pos += entry->d_reclen;
      if ((entry->d_type == DT_REG || entry->d_type == DT_UNKNOWN) && is_valid_queue_id(entry->d_name))
        names.emplace_back(entry->d_name);
    }
  }
  return names;
}

void RecycledFiles::refill() {
  std::vector<std::string> claimed;
  for (const std::string& name : read_free_names(kBatch)) {
    std::string from = std::string(kFreeDir) + "/" + name;
    std::string to_name = prefix_ + name;
    if (rename_noreplace(spool_dir_.get(), from.c_str(), claimed_path(to_name).c_str()) == 0)
      claimed.push_back(std::move(to_name));
  }
  // Durable: no longer in free/, and (moved there before this began) no longer in queue/.
  if (!claimed.empty() && (!sync_directory(free_dir_.get()) || !sync_directory(queue_dir_.get()))) {
    for (const std::string& name : claimed) ::unlinkat(spool_dir_.get(), claimed_path(name).c_str(), 0);
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

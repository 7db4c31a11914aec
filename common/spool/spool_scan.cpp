// Directory scans over the spool (see spool_scan.h).
#include "common/spool/spool_scan.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "common/spool/file_io.h"
#include "common/spool/layout.h"
#include "common/spool/recycled_files.h"
#include "common/spool/queue_id.h"

namespace tern::spool {
namespace {

struct DirCloser {
  void operator()(DIR* dir) const { ::closedir(dir); }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

Result<DirPtr> open_dir_stream(int spool_dirfd, const std::string& subdir) {
  auto fd = open_directory(spool_dirfd, subdir);
  if (!fd) return std::unexpected(fd.error());
  DIR* dir = ::fdopendir(fd->get());
  if (dir == nullptr) return fail_errno(subdir + ": opendir", errno);
  fd->release();  // now owned by dir
  return DirPtr(dir);
}

// The file type of an entry; DT_UNKNOWN (some filesystems) is resolved with fstatat.
// Returns DT_UNKNOWN if the entry vanished.
unsigned char entry_type(DIR* dir, const struct dirent* entry) {
  if (entry->d_type != DT_UNKNOWN) return entry->d_type;
  struct stat st;
  if (::fstatat(::dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) return DT_UNKNOWN;
  return IFTODT(st.st_mode);
}

// Calls fn(name, type) for each entry but "." and "..".
template <class Fn>
Result<void> for_each_entry(DIR* dir, const std::string& what, Fn fn) {
  for (;;) {
    errno = 0;
    struct dirent* entry = ::readdir(dir);
    if (entry == nullptr) {
      if (errno != 0) return fail_errno(what + ": readdir", errno);
      return {};
    }
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    if (auto r = fn(name, entry_type(dir, entry)); !r) return r;
  }
}

}  // namespace

Result<std::vector<std::string>> list_queue(int spool_dirfd, std::string_view subdir) {
  std::string what(subdir);
  auto dir = open_dir_stream(spool_dirfd, what);
  if (!dir) return std::unexpected(dir.error());
  std::vector<std::string> ids;
  auto r = for_each_entry(dir->get(), what, [&](std::string_view name, unsigned char type) {
    if (type == DT_REG && is_valid_queue_id(name)) ids.emplace_back(name);
    return Result<void>{};
  });
  if (!r) return std::unexpected(r.error());
  std::sort(ids.begin(), ids.end());
  return ids;
}

Result<void> move_to_corrupt(int spool_dirfd, std::string_view subdir,
                             const std::string& queue_id) {
  if (!is_valid_queue_id(queue_id)) return fail("invalid queue id '" + queue_id + "'", EINVAL);
  std::string from = std::string(subdir) + "/" + queue_id;
  std::string base = std::string(kCorruptDir) + "/" + queue_id;
  std::string to = base;
  for (int n = 1;; ++n) {
    if (rename_noreplace(spool_dirfd, from.c_str(), to.c_str()) == 0) return {};
    if (errno != EEXIST || n > 100) return fail_errno(from + ": rename to " + to, errno);
    to = base + "." + std::to_string(n);
  }
}

namespace {

// Unlinks the non-directory entries of `subdir` whose names start with `prefix`.
Result<int> unlink_entries(int spool_dirfd, const char* subdir, std::string_view prefix) {
  auto dir = open_dir_stream(spool_dirfd, subdir);
  if (!dir) return std::unexpected(dir.error());
  int removed = 0;
  auto r = for_each_entry(dir->get(), subdir, [&](std::string_view name, unsigned char type) {
    if (type == DT_DIR || !name.starts_with(prefix)) return Result<void>{};
    std::string entry(name);
    if (::unlinkat(::dirfd(dir->get()), entry.c_str(), 0) == 0) {
      ++removed;
    } else if (errno != ENOENT) {
      return Result<void>(fail_errno(std::string(subdir) + "/" + entry + ": unlink", errno));
    }
    return Result<void>{};
  });
  if (!r) return std::unexpected(r.error());
  return removed;
}

}  // namespace

Result<int> clean_incoming(int spool_dirfd) { return unlink_entries(spool_dirfd, kIncomingDir, ""); }

Result<int> clean_claimed_files(int spool_dirfd, std::optional<int> pid) {
  return unlink_entries(spool_dirfd, kFreeDir, claimed_prefix(pid));
}

}  // namespace tern::spool

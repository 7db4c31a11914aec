// Maildir delivery: look for an earlier copy (retries only), an unnamed file in new/ (or one in
// tmp/ where the file system cannot), fsync, give it its name in new/, fsync new/.
#include "local/maildir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <optional>
#include <string>

#include "common/spool/file_io.h"

namespace tern::local {

using spool::UniqueFd;

std::string maildir_file_name(std::string_view queue_id, uint32_t index, std::string_view hostname,
                              int64_t arrival_seconds) {
  std::string name = std::to_string(arrival_seconds) + ".T" + std::string(queue_id) + "R" + std::to_string(index) + ".";
  for (char c : hostname) {
    if (c == '/') name += "\\057";
    else if (c == ':') name += "\\072";
    else name.push_back(c);
  }
  return name;
}

Result<void> make_directories(const std::string& path) {
  // The leaf first: a new mailbox under an existing base costs one mkdir per directory made,
  // not one per path component; the parents are walked only when the leaf's parent is missing.
  if (::mkdir(path.c_str(), 0700) == 0) return {};
  int err = errno;
  if (err == ENOENT) {
    size_t slash = path.find_last_not_of('/');
    slash = slash == std::string::npos ? std::string::npos : path.rfind('/', slash);
    if (slash != std::string::npos && slash > 0) {
      if (auto parent = make_directories(path.substr(0, slash)); !parent) return parent;
      if (::mkdir(path.c_str(), 0700) == 0) return {};
      err = errno;
    }
  }
  if (err != EEXIST) return fail_errno("mkdir " + path, err);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return fail_errno("stat " + path, errno);
  if (!S_ISDIR(st.st_mode)) return fail(path + ": not a directory", ENOTDIR);
  return {};
}

namespace {

// getdents64 fills this much per call: a cur/ of 100,000 messages takes about a hundred.
constexpr size_t kDirectoryBuffer = 64 * 1024;

// NAME itself, or NAME with a reader's ":2,flags" info.
bool is_copy(std::string_view entry, std::string_view name) {
  return entry.starts_with(name) && (entry.size() == name.size() || entry[name.size()] == ':');
}

// One pass over `dir` with getdents64 (readdir() would add an fstat and two fcntls).
Result<bool> directory_has_copy(const std::string& dir, std::string_view name) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return false;
    return fail_errno("open " + dir, errno);
  }
  auto buffer = std::make_unique_for_overwrite<char[]>(kDirectoryBuffer);
  for (;;) {
    ssize_t n = ::getdents64(fd.get(), buffer.get(), kDirectoryBuffer);
    if (n < 0) return fail_errno("read directory " + dir, errno);
    if (n == 0) return false;
    for (ssize_t pos = 0; pos < n;) {
      const auto* entry = reinterpret_cast<const dirent64*>(buffer.get() + pos);
      if (is_copy(entry->d_name, name)) return true;
      pos += entry->d_reclen;
    }
  }
}

Result<void> make_maildir(const std::string& path) {
  for (const char* sub : {"tmp", "new", "cur"}) {
    if (auto made = make_directories(path + sub); !made) return made;
  }
  return {};
}

// tmp/NAME, created by this call (O_EXCL). A file already there was left by an attempt that
// died; it may even be a hard link to the copy it delivered, so it is unlinked, never reused.
Result<UniqueFd> create_tmp(const std::string& path, const std::string& tmp) {
  for (int tries = 0; tries < 3; ++tries) {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd.valid()) return fd;
    int err = errno;
    if (err == ENOENT) {
      if (auto made = make_maildir(path); !made) return std::unexpected(made.error());
    } else if (err == EEXIST) {
      if (::unlink(tmp.c_str()) != 0 && errno != ENOENT) return fail_errno("unlink " + tmp, errno);
    } else {
      return fail_errno("create maildir file " + tmp, err);
    }
  }
  return fail("create maildir file " + tmp + ": the Maildir keeps changing", EAGAIN);
}

// tmp/NAME -> new/NAME, never over a file already there (one renameat2 instead of link and
// unlink; spool::rename_noreplace falls back to those where the filesystem lacks the flag).
// True when moved; false when new/NAME was there, tmp/NAME then being left for the caller.
Result<bool> move_to_new(const std::string& path, const std::string& tmp, const std::string& fresh) {
  for (int tries = 0; tries < 2; ++tries) {
    if (spool::rename_noreplace(AT_FDCWD, tmp.c_str(), fresh.c_str()) == 0) return true;
    int err = errno;
    if (err == EEXIST) return false;
    if (err != ENOENT || tries > 0) return fail_errno("rename " + tmp + " to " + fresh, err);
    if (auto made = make_maildir(path); !made) return std::unexpected(made.error());  // new/ went away
  }
  return false;  // not reached
}

Result<void> write_synced(int fd, std::string_view bytes, const std::string& tmp) {
  if (auto written = spool::write_all(fd, bytes, tmp); !written) return written;
  if (::fsync(fd) != 0) return fail_errno("fsync " + tmp, errno);
  return {};
}

Result<void> sync_directory(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return fail_errno("open " + dir, errno);
  if (::fsync(fd.get()) != 0) return fail_errno("fsync " + dir, errno);
  return {};
}

DeliveryStatus already_there(const std::string& path, const std::string& name) {
  return DeliveryStatus::sent("delivered to maildir " + path + " (already there: " + name + ")");
}

// The file without a name (O_TMPFILE in new/), written and fsynced, then given its name in
// new/ with one link: no reader ever sees it unfinished, as with tmp/, but tmp/ is not touched,
// so its entry need not be made, fsynced and removed (one disk write and two calls fewer per
// message). True when linked, false when new/NAME was there; nullopt where the file system or
// a missing /proc cannot do it, and the caller goes through tmp/.
std::optional<Result<bool>> write_unnamed_into_new(const std::string& path, const std::string& fresh,
                                                   std::string_view bytes) {
  std::string new_dir = path + "new";
  UniqueFd fd(::open(new_dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600));
  if (!fd.valid() && errno == ENOENT) {
    if (auto made = make_maildir(path); !made) return Result<bool>(std::unexpected(made.error()));
    fd.reset(::open(new_dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600));
  }
  if (!fd.valid()) {
    if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) return std::nullopt;
    return Result<bool>(fail_errno("create maildir file in " + new_dir, errno));
  }
  if (auto written = write_synced(fd.get(), bytes, new_dir + " (unnamed file)"); !written) {
    return Result<bool>(std::unexpected(written.error()));
  }
  std::string self = "/proc/self/fd/" + std::to_string(fd.get());
  if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, fresh.c_str(), AT_SYMLINK_FOLLOW) == 0) return Result<bool>(true);
  if (errno == EEXIST) return Result<bool>(false);
  if (errno == ENOENT && ::access("/proc/self/fd", F_OK) != 0) return std::nullopt;  // no /proc
  return Result<bool>(fail_errno("link " + fresh, errno));
}

}  // namespace

Result<CopyIn> find_maildir_copy(const std::string& path, const std::string& name) {
  std::string in_new = path + "new/" + name;
  struct stat st;
  if (::lstat(in_new.c_str(), &st) == 0) return CopyIn::kNew;
  if (errno != ENOENT && errno != ENOTDIR) return fail_errno("stat " + in_new, errno);
  auto in_cur = directory_has_copy(path + "cur", name);
  if (!in_cur) return std::unexpected(in_cur.error());
  return *in_cur ? CopyIn::kCur : CopyIn::kNowhere;
}

DeliveryStatus deliver_maildir(const std::string& path_in, const std::string& name, std::string_view bytes,
                               const MaildirOptions& options) {
  std::string path = path_in;
  if (path.empty() || path.back() != '/') path.push_back('/');
  if (options.size_limit > 0 && static_cast<int64_t>(bytes.size()) > options.size_limit) {
    return DeliveryStatus::bounce("5.2.2", "message size " + std::to_string(bytes.size()) +
                                               " exceeds mailbox_size_limit " + std::to_string(options.size_limit));
  }
  if (options.may_exist) {
    auto found = find_maildir_copy(path, name);
    if (!found) return DeliveryStatus::from_error(found.error());
    if (*found != CopyIn::kNowhere) {
      if (auto synced = sync_directory(path + (*found == CopyIn::kNew ? "new" : "cur")); !synced) {
        return DeliveryStatus::from_error(synced.error());
      }
      return already_there(path, name);
    }
  }
  std::string fresh = path + "new/" + name;
  if (auto linked = options.through_tmp ? std::nullopt : write_unnamed_into_new(path, fresh, bytes)) {
    if (!*linked) return DeliveryStatus::from_error(linked->error());
    // Also when new/NAME was there: the attempt that made it may have died before this sync.
    if (auto synced = sync_directory(path + "new"); !synced) return DeliveryStatus::from_error(synced.error());
    return **linked ? DeliveryStatus::sent("delivered to maildir " + path) : already_there(path, name);
  }
  std::string tmp = path + "tmp/" + name;
  auto fd = create_tmp(path, tmp);
  if (!fd) return DeliveryStatus::from_error(fd.error());
  auto written = write_synced(fd->get(), bytes, tmp);
  fd->reset();
  auto moved = written ? move_to_new(path, tmp, fresh) : Result<bool>(std::unexpected(written.error()));
  if (!moved || !*moved) ::unlink(tmp.c_str());
  if (!moved) return DeliveryStatus::from_error(moved.error());
  // Also when new/NAME was there: the attempt that made it may have died before this sync.
  if (auto synced = sync_directory(path + "new"); !synced) return DeliveryStatus::from_error(synced.error());
  return *moved ? DeliveryStatus::sent("delivered to maildir " + path) : already_there(path, name);
}

}  // namespace tern::local

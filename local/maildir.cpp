// Maildir delivery: tmp, fsync, link into new, fsync new.
#include "local/maildir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

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

bool maildir_has_message(int maildir_fd, const std::string& name) {
  struct stat st;
  if (::fstatat(maildir_fd, ("new/" + name).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) return true;
  if (::fstatat(maildir_fd, ("cur/" + name).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) return true;
  int cur = ::openat(maildir_fd, "cur", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cur < 0) return false;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(cur), &::closedir);
  if (!dir) {
    ::close(cur);
    return false;
  }
  std::string prefix = name + ":";
  while (dirent* entry = ::readdir(dir.get())) {
    if (std::string_view(entry->d_name).starts_with(prefix)) return true;
  }
  return false;
}

Result<void> make_directories(const std::string& path) {
  std::string sofar;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string::npos) slash = path.size();
    sofar = path.substr(0, slash);
    pos = slash + 1;
    if (sofar.empty()) continue;
    if (::mkdir(sofar.c_str(), 0700) != 0 && errno != EEXIST) return fail_errno("mkdir " + sofar, errno);
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return fail_errno("stat " + path, errno);
  if (!S_ISDIR(st.st_mode)) return fail(path + ": not a directory", ENOTDIR);
  return {};
}

namespace {

// The usual case, a Maildir that exists: three stats instead of a mkdir per path component.
bool has_subdirectories(int maildir_fd) {
  for (const char* sub : {"tmp", "new", "cur"}) {
    struct stat st;
    if (::fstatat(maildir_fd, sub, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode)) return false;
  }
  return true;
}

DeliveryStatus write_new(int maildir_fd, const std::string& path, const std::string& name, std::string_view bytes) {
  std::string tmp = "tmp/" + name;
  UniqueFd fd(::openat(maildir_fd, tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) return DeliveryStatus::from_errno("create maildir file " + path + tmp, errno);
  auto written = spool::write_all(fd.get(), bytes, path + tmp);
  if (written && ::fsync(fd.get()) != 0) written = fail_errno("fsync " + path + tmp, errno);
  if (!written) {
    ::unlinkat(maildir_fd, tmp.c_str(), 0);
    return DeliveryStatus::from_error(written.error());
  }
  fd.reset();
  std::string fresh = "new/" + name;
  if (::linkat(maildir_fd, tmp.c_str(), maildir_fd, fresh.c_str(), 0) != 0) {
    int err = errno;
    ::unlinkat(maildir_fd, tmp.c_str(), 0);
    if (err != EEXIST) return DeliveryStatus::from_errno("link " + path + fresh, err);
  }
  ::unlinkat(maildir_fd, tmp.c_str(), 0);
  UniqueFd new_dir(::openat(maildir_fd, "new", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!new_dir.valid() || ::fsync(new_dir.get()) != 0) return DeliveryStatus::from_errno("fsync " + path + "new", errno);
  return DeliveryStatus::sent("delivered to maildir " + path);
}

}  // namespace

DeliveryStatus deliver_maildir(const std::string& path_in, const std::string& name, std::string_view bytes,
                               int64_t size_limit) {
  std::string path = path_in;
  if (path.empty() || path.back() != '/') path.push_back('/');
  if (size_limit > 0 && static_cast<int64_t>(bytes.size()) > size_limit) {
    return DeliveryStatus::bounce("5.2.2", "message size " + std::to_string(bytes.size()) +
                                               " exceeds mailbox_size_limit " + std::to_string(size_limit));
  }
  UniqueFd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid() || !has_subdirectories(dir.get())) {
    for (const char* sub : {"tmp", "new", "cur"}) {
      if (auto made = make_directories(path + sub); !made) {
        return DeliveryStatus::from_error(made.error());
      }
    }
    dir.reset(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  }
  if (!dir.valid()) return DeliveryStatus::from_errno("open maildir " + path, errno);
  if (maildir_has_message(dir.get(), name)) {
    return DeliveryStatus::sent("delivered to maildir " + path + " (already there: " + name + ")");
  }
  return write_new(dir.get(), path, name, bytes);
}

}  // namespace tern::local

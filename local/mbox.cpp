// mbox delivery: dotlock, fcntl lock, append, fsync, truncate on failure.
#include "local/mbox.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include "common/spool/file_io.h"
#include "local/message.h"

namespace tern::local {
namespace {

using spool::UniqueFd;

constexpr int kLockAttempts = 100;          // tries, kLockPauseMs apart
constexpr long kLockPauseMs = 100;

void pause_briefly() {
  timespec ts{0, kLockPauseMs * 1000000L};
  ::nanosleep(&ts, nullptr);
}

// PATH.lock, removed when destroyed.
class DotLock {
 public:
  ~DotLock() {
    if (held_) ::unlink(path_.c_str());
  }
  // 0, or the errno of the failure (EAGAIN: somebody else holds it).
  int acquire(const std::string& mailbox) {
    path_ = mailbox + ".lock";
    for (int attempt = 0; attempt < kLockAttempts; ++attempt) {
      int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd >= 0) {
        ::close(fd);
        held_ = true;
        return 0;
      }
      if (errno != EEXIST) return errno;
      struct stat st;
      if (::lstat(path_.c_str(), &st) == 0 && ::time(nullptr) - st.st_mtime > kStaleLockSeconds) {
        ::unlink(path_.c_str());  // left behind by a crashed writer
        continue;
      }
      pause_briefly();
    }
    return EAGAIN;
  }

 private:
  std::string path_;
  bool held_ = false;
};

int fcntl_lock(int fd) {
  for (int attempt = 0; attempt < kLockAttempts; ++attempt) {
    struct flock fl{};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (::fcntl(fd, F_SETLK, &fl) == 0) return 0;
    if (errno != EACCES && errno != EAGAIN) return errno;
    pause_briefly();
  }
  return EAGAIN;
}

// Opens the mailbox for appending: creates it (owned by options.owner_* when set), or opens
// the existing one and checks it is a plain file with one link owned by the right user.
Result<UniqueFd> open_mailbox(const std::string& path, const MboxOptions& options) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (fd.valid()) {
    if (options.owner_uid != static_cast<uid_t>(-1) &&
        ::fchown(fd.get(), options.owner_uid, options.owner_gid) != 0) {
      int err = errno;
      ::unlink(path.c_str());
      return fail_errno("chown " + path, err);
    }
    return fd;
  }
  if (errno != EEXIST) return fail_errno("create mailbox " + path, errno);
  fd.reset(::open(path.c_str(), O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return fail_errno("open mailbox " + path, errno);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return fail_errno("fstat " + path, errno);
  if (!S_ISREG(st.st_mode)) return fail(path + ": mailbox is not a regular file", EPERM);
  if (st.st_nlink != 1) return fail(path + ": mailbox has more than one hard link", EPERM);
  if (options.owner_uid != static_cast<uid_t>(-1) && st.st_uid != options.owner_uid) {
    return fail(path + ": mailbox is not owned by the recipient", EPERM);
  }
  return fd;
}

}  // namespace

DeliveryStatus deliver_mbox(const std::string& path, std::string_view sender, std::string_view message,
                            std::time_t when, const MboxOptions& options) {
  std::string entry = mbox_from_line(sender, when) + mbox_quote(message);
  DotLock dotlock;
  if (int err = dotlock.acquire(path); err != 0) {
    if (err == EAGAIN) return DeliveryStatus::defer("4.2.0", path + ": mailbox is locked (" + path + ".lock)");
    if (!options.dotlock_may_fail) return DeliveryStatus::from_errno("create lock " + path + ".lock", err);
  }
  auto fd = open_mailbox(path, options);
  if (!fd) return DeliveryStatus::from_error(fd.error());
  if (int err = fcntl_lock(fd->get()); err != 0) {
    if (err == EAGAIN) return DeliveryStatus::defer("4.2.0", path + ": mailbox is locked (fcntl)");
    return DeliveryStatus::from_errno("lock " + path, err);
  }
  struct stat st;
  if (::fstat(fd->get(), &st) != 0) return DeliveryStatus::from_errno("fstat " + path, errno);
  if (options.size_limit > 0 && st.st_size + static_cast<int64_t>(entry.size()) > options.size_limit) {
    return DeliveryStatus::bounce("5.2.2", "mailbox " + path + " is full (mailbox_size_limit " +
                                               std::to_string(options.size_limit) + ")");
  }
  auto written = spool::write_all(fd->get(), entry, path);
  if (written && ::fsync(fd->get()) != 0) written = fail_errno("fsync " + path, errno);
  if (!written) {
    // Never leave a partial entry behind.
    if (::ftruncate(fd->get(), st.st_size) == 0) ::fsync(fd->get());
    return DeliveryStatus::from_error(written.error());
  }
  return DeliveryStatus::sent("delivered to mailbox " + path);
}

}  // namespace tern::local

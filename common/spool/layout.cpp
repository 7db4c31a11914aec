// create_spool_tree(): mkdir, then fix mode and owner through an fd opened with O_NOFOLLOW so a
// symlink planted in the spool cannot redirect a chown or chmod (see layout.h).
#include "common/spool/layout.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/spool/file_io.h"

namespace tern::spool {
namespace {

Result<void> fix_owner_and_mode(int fd, const std::string& path, mode_t mode, bool chown_it,
                                uid_t uid, gid_t gid) {
  struct stat st;
  if (::fstat(fd, &st) < 0) return fail_errno(path + ": stat", errno);
  if (!S_ISDIR(st.st_mode)) return fail(path + ": exists and is not a directory", ENOTDIR);
  // chown first: it may clear mode bits, which the chmod then restores.
  if (chown_it && (st.st_uid != uid || st.st_gid != gid)) {
    if (::fchown(fd, uid, gid) < 0) return fail_errno(path + ": chown", errno);
  }
  if ((st.st_mode & 07777) != mode) {
    if (::fchmod(fd, mode) < 0) return fail_errno(path + ": chmod", errno);
  }
  return {};
}

Result<void> ensure_subdir(int spool_fd, const std::string& spool_dir, const SpoolSubdir& sub,
                           bool chown_it, uid_t uid, gid_t gid) {
  std::string path = spool_dir + "/" + sub.name;
  // Created 0700 and widened afterwards, so it is never more open than intended, even briefly.
  if (::mkdirat(spool_fd, sub.name, 0700) < 0 && errno != EEXIST)
    return fail_errno(path + ": mkdir", errno);
  int fd = ::openat(spool_fd, sub.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOTDIR || errno == ELOOP)
      return fail(path + ": exists and is not a directory", ENOTDIR);
    return fail_errno(path + ": open", errno);
  }
  UniqueFd owned(fd);
  return fix_owner_and_mode(owned.get(), path, sub.mode, chown_it, uid, gid);
}

}  // namespace

Result<void> create_spool_tree(const std::string& spool_dir, uid_t owner, gid_t group,
                               bool chown_it) {
  bool created = ::mkdir(spool_dir.c_str(), kSpoolDirMode) == 0;
  if (!created && errno != EEXIST) return fail_errno(spool_dir + ": mkdir", errno);
  int fd = ::open(spool_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOTDIR) return fail(spool_dir + ": exists and is not a directory", ENOTDIR);
    return fail_errno(spool_dir + ": open", errno);
  }
  UniqueFd spool_fd(fd);
  if (created && ::fchmod(spool_fd.get(), kSpoolDirMode) < 0)  // the umask may have narrowed it
    return fail_errno(spool_dir + ": chmod", errno);

  for (const SpoolSubdir& sub : kSpoolSubdirs) {
    uid_t uid = sub.owned_by_tern ? owner : 0;
    gid_t gid = sub.owned_by_tern ? group : 0;
    if (auto r = ensure_subdir(spool_fd.get(), spool_dir, sub, chown_it, uid, gid); !r) return r;
  }
  return {};
}

}  // namespace tern::spool

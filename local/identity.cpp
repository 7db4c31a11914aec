// EffectiveIds and the privileges of alias owners.
#include "local/identity.h"

#include <grp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/log/log.h"

namespace tern::local {

EffectiveIds::~EffectiveIds() { restore(); }

namespace {

// The raw system calls change the credentials of the calling thread only. (glibc's wrappers
// change every thread of the process, which would hand one delivery's identity to another
// running in the same work pool.)
int thread_setgroups(size_t count, const gid_t* groups) { return static_cast<int>(::syscall(SYS_setgroups, count, groups)); }
int thread_setegid(gid_t gid) { return static_cast<int>(::syscall(SYS_setresgid, -1, gid, -1)); }
int thread_seteuid(uid_t uid) { return static_cast<int>(::syscall(SYS_setresuid, -1, uid, -1)); }

}  // namespace

Result<void> EffectiveIds::become(uid_t uid, gid_t gid) {
  if (!process::running_as_root() && !switched_) return {};
  restore();
  if (thread_setgroups(1, &gid) != 0) return fail_errno("setgroups", errno);
  if (thread_setegid(gid) != 0) {
    int err = errno;
    thread_setgroups(0, nullptr);
    return fail_errno("setegid", err);
  }
  switched_ = true;
  if (thread_seteuid(uid) != 0) {
    int err = errno;
    restore();
    return fail_errno("seteuid", err);
  }
  return {};
}

void EffectiveIds::restore() {
  if (!switched_) return;
  switched_ = false;
  if (thread_seteuid(0) != 0 || thread_setegid(0) != 0 || thread_setgroups(0, nullptr) != 0) {
    // Cannot happen while the real uid is root; a child that cannot regain root must not go on.
    TERN_LOG_FATAL("cannot restore root privileges: %s", std::strerror(errno));
    ::_exit(75);
  }
}

Result<UserIds> default_privs_user(const config::Config& config) {
  std::string name = config.get("default_privs");
  auto user = process::lookup_user(name);
  if (!user) return fail("default_privs: " + user.error().message);
  if (user->uid == 0) return fail("default_privs must not be root");
  return user;
}

Result<UserIds> owner_privileges(const config::Config& config, uid_t file_uid, gid_t file_gid) {
  if (!process::running_as_root()) return UserIds{::getuid(), ::getgid(), "", "/"};
  if (file_uid == 0) return default_privs_user(config);
  auto user = process::lookup_uid(file_uid);
  if (!user) return UserIds{file_uid, file_gid, std::to_string(file_uid), "/"};
  return user;
}

}  // namespace tern::local

// ThreadIds: per-thread id switches that skip what is already in effect.
#include "local/thread_ids.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace tern::local {
namespace {

// The raw system calls change the credentials of the calling thread only. (glibc's wrappers
// change every thread of the process, which would hand one delivery's identity to another
// running in the same work pool.) -1 leaves an id as it is.
int thread_setgroups(size_t count, const gid_t* groups) { return static_cast<int>(::syscall(SYS_setgroups, count, groups)); }
int thread_setegid(gid_t gid) { return static_cast<int>(::syscall(SYS_setresgid, -1, gid, -1)); }
int thread_seteuid(uid_t uid) { return static_cast<int>(::syscall(SYS_setresuid, -1, uid, -1)); }

}  // namespace

ThreadIds& ThreadIds::current() {
  thread_local ThreadIds ids;
  return ids;
}

ThreadIds::ThreadIds() {
  uid_t ruid = 0, euid = 0, suid = 0;
  gid_t rgid = 0, egid = 0, sgid = 0;
  if (::getresuid(&ruid, &euid, &suid) == 0) {
    real_uid_ = ruid;
    euid_ = euid;
  } else {
    real_uid_ = ::getuid();
  }
  if (::getresgid(&rgid, &egid, &sgid) == 0) egid_ = egid;
}

Result<void> ThreadIds::set_euid(uid_t uid) {
  if (euid_ == static_cast<int64_t>(uid)) return {};
  // Without root, the effective uid may only become the real or the saved one (both root):
  // one owner to another goes through root.
  if (uid != 0 && euid_ != 0) {
    if (auto root = set_euid(0); !root) return root;
  }
  euid_ = kUnknown;
  if (thread_seteuid(uid) != 0) return fail_errno("seteuid " + std::to_string(uid), errno);
  euid_ = uid;
  return {};
}

Result<void> ThreadIds::set_egid_and_groups(gid_t gid, int64_t group) {
  if (egid_ == static_cast<int64_t>(gid) && group_ == group) return {};
  // Changing groups takes CAP_SETGID, which only an effective uid of 0 has.
  if (auto root = set_euid(0); !root) return root;
  if (group_ != group) {
    group_ = kUnknown;
    gid_t one = static_cast<gid_t>(group);
    int rc = group == kNoGroups ? thread_setgroups(0, nullptr) : thread_setgroups(1, &one);
    if (rc != 0) return fail_errno("setgroups", errno);
    group_ = group;
  }
  if (egid_ != static_cast<int64_t>(gid)) {
    egid_ = kUnknown;
    if (thread_setegid(gid) != 0) return fail_errno("setegid " + std::to_string(gid), errno);
    egid_ = gid;
  }
  return {};
}

Result<void> ThreadIds::become(uid_t uid, gid_t gid) {
  if (!privileged()) return {};
  if (auto groups = set_egid_and_groups(gid, gid); !groups) return groups;
  return set_euid(uid);
}

Result<void> ThreadIds::become_root() {
  if (!privileged()) return {};
  if (auto root = set_euid(0); !root) return root;
  return set_egid_and_groups(0, kNoGroups);
}

Result<void> ThreadIds::become_root_uid() {
  if (!privileged()) return {};
  return set_euid(0);
}

}  // namespace tern::local

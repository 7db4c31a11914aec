// ThreadIds: the effective ids of the calling thread, changed with the raw system calls that
// change one thread's credentials only, and remembered, so that asking for the ids a thread
// already has costs no system call.
//
// local switches between root (to read queue files and tables) and a mailbox owner (to write
// the mailbox). A work-pool thread keeps the owner's ids after a job (pooled_delivery.h): in
// the common case, one owner for every virtual mailbox (virtual_uid_maps = static:N), the next
// job then costs one setresuid to read its queue file as root and one to become the owner
// again, instead of three calls to switch and three to switch back. Every job still asks for
// the ids it needs before it touches the file system; none relies on what an earlier one left.
//
// The memory is right only while every change of a thread's ids goes through it. glibc's
// setuid/seteuid/setgroups family changes the ids of every thread of the process (it signals
// them all), behind this cache: local may use it only in a forked child about to exec
// (command_runner.cpp), never in the local process itself.
//
// A process whose real uid is not root (tests, the development run) switches nothing.
// Errors: the failed call with its errno; the thread then forgets what it knew about that id.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "common/result.h"

namespace tern::local {

class ThreadIds {
 public:
  // The calling thread's instance; made on first use (getresuid, getresgid).
  static ThreadIds& current();

  ThreadIds(const ThreadIds&) = delete;
  ThreadIds& operator=(const ThreadIds&) = delete;

  // The process runs as root (its real uid): only then are ids switched.
  bool privileged() const { return real_uid_ == 0; }

  // Effective uid and gid `uid`/`gid`, supplementary groups exactly {gid}.
  Result<void> become(uid_t uid, gid_t gid);
  // Root: effective uid and gid 0, no supplementary groups.
  Result<void> become_root();
  // Effective uid 0 only; the gid and groups may still be a mailbox owner's. Enough to read
  // root's files (the spool, tables); files made this way would get the owner's group.
  Result<void> become_root_uid();

 private:
  static constexpr int64_t kUnknown = -1;
  static constexpr int64_t kNoGroups = -2;

  ThreadIds();
  Result<void> set_euid(uid_t uid);
  Result<void> set_egid_and_groups(gid_t gid, int64_t group);

  uid_t real_uid_ = 0;
  int64_t euid_ = kUnknown;
  int64_t egid_ = kUnknown;
  int64_t group_ = kUnknown;  // the one supplementary group, kNoGroups, or kUnknown
};

}  // namespace tern::local

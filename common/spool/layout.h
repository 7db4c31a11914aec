// The spool directory tree (DESIGN.md §4): the names of its subdirectories, their modes and
// owners, and create_spool_tree(), which master calls at start-up (as root, before any program
// drops privileges) to create the tree or repair modes and owners that drifted.
//
//   incoming/  0700 tern   being received, not yet accepted
//   queue/     0700 tern   accepted, waiting or in delivery
//   hold/      0700 tern   held by the administrator
//   corrupt/   0700 tern   files that failed to parse
//   free/      0700 tern   finished queue files kept to be written again (recycled_files.h);
//                          nothing in it is mail anyone still needs
//   private/   0700 tern   IPC sockets
//   public/    0755 tern   the local-submission socket. Postfix makes its public/ 0710 group
//                          postdrop because local users drop files there through a setgid
//                          helper; ours holds only a socket, whose own mode decides who may
//                          connect, so the directory need only be searchable. Only tern writes.
//   maildrop/  3733 tern   sticky, set-group-id, world-writable-but-unlistable: `sendmail` run by any user
//                          leaves a file here while Tern is down (Postfix's maildrop); set-group-id
//                          gives each file group tern, so sendmail makes it 0640: readable by
//                          its owner and by tern only
//   pid/       0755 root   master's pid file
//
// The spool directory itself is created 0755 when missing; an existing one keeps its mode and
// owner (an administrator's or a test's choice). Errors: any failed call (errno kept), and
// ENOTDIR when a name in the tree exists but is not a directory (symlinks are refused too).
#pragma once

#include <sys/types.h>

#include <array>
#include <string>

#include "common/result.h"

namespace tern::spool {

inline constexpr const char* kIncomingDir = "incoming";
inline constexpr const char* kQueueDir = "queue";
inline constexpr const char* kHoldDir = "hold";
inline constexpr const char* kCorruptDir = "corrupt";
inline constexpr const char* kFreeDir = "free";
inline constexpr const char* kPrivateDir = "private";
inline constexpr const char* kPublicDir = "public";
inline constexpr const char* kMaildropDir = "maildrop";
inline constexpr const char* kPidDir = "pid";

inline constexpr mode_t kSpoolDirMode = 0755;

struct SpoolSubdir {
  const char* name;
  mode_t mode;
  bool owned_by_tern;  // false: owned by root (the creator)
};

inline constexpr std::array<SpoolSubdir, 9> kSpoolSubdirs = {{
    {kIncomingDir, 0700, true},
    {kQueueDir, 0700, true},
    {kHoldDir, 0700, true},
    {kCorruptDir, 0700, true},
    {kFreeDir, 0700, true},
    {kPrivateDir, 0700, true},
    {kPublicDir, 0755, true},
    {kMaildropDir, 03733, true},
    {kPidDir, 0755, false},
}};

// Creates spool_dir (one level: its parent must exist) and every subdirectory, and sets each
// subdirectory's mode. When chown_it (master running as root), tern-owned subdirectories get
// owner:group and the others root:root; otherwise owners are left alone (an unprivileged run).
Result<void> create_spool_tree(const std::string& spool_dir, uid_t owner, gid_t group,
                               bool chown_it);

}  // namespace tern::spool

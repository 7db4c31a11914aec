// Privilege handling: look up the unprivileged user and drop to it.
// When the process is not root, nothing is dropped and everything runs as the invoking user
// (tests, the development run); the code path is otherwise the same.
#pragma once

#include <sys/types.h>

#include <string>

#include "common/result.h"

namespace tern::process {

struct UserIds {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name;
  std::string home;
};

Result<UserIds> lookup_user(const std::string& name);
Result<UserIds> lookup_uid(uid_t uid);

bool running_as_root();

// Drops to `user` (setgroups to its one group, setgid, setuid) when root; a no-op otherwise.
// Fails when the user does not exist or a call fails; verifies root cannot be regained.
Result<void> drop_privileges(const std::string& user);

// The uid/gid that spool files and IPC sockets should belong to: tern_user when root,
// the current ids otherwise.
Result<UserIds> spool_owner(const std::string& tern_user);

}  // namespace tern::process

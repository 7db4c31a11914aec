// EffectiveIds and the privileges of alias owners.
#include "local/identity.h"

#include <unistd.h>

#include "common/log/log.h"
#include "local/thread_ids.h"

namespace tern::local {

EffectiveIds::~EffectiveIds() {
  if (after_ == After::kRestoreRoot) restore();
}

Result<void> EffectiveIds::become(uid_t uid, gid_t gid) {
  switched_ = true;  // even a failed switch may have changed some ids
  return ThreadIds::current().become(uid, gid);
}

void EffectiveIds::restore() {
  if (!switched_) return;
  switched_ = false;
  if (auto root = ThreadIds::current().become_root(); !root) {
    // Cannot happen while the real uid is root; a thread that cannot regain root must not go on.
    TERN_LOG_FATAL("cannot restore root privileges: %s", root.error().message.c_str());
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
  if (!ThreadIds::current().privileged()) return UserIds{::getuid(), ::getgid(), "", "/"};
  if (file_uid == 0) return default_privs_user(config);
  auto user = process::lookup_uid(file_uid);
  if (!user) return UserIds{file_uid, file_gid, std::to_string(file_uid), "/"};
  return user;
}

}  // namespace tern::local

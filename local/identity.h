// Who a delivery runs as. local keeps root; a delivery runs in a forked child of its own
// (see delivery_child.h) or, for virtual Maildirs, on a thread of the work pool
// (pooled_delivery.h). EffectiveIds switches the calling thread alone (thread_ids.h), so it
// affects nothing else in either case. It switches to a mailbox owner for the file operations
// of one target (supplementary groups, effective gid, effective uid: the real and saved uid
// stay root, as in Postfix's set_eugid()) and, in a delivery child, back to root when
// destroyed. A work-pool thread keeps the owner's ids instead (After::kKeep): its next job
// asks for the ids it needs, and most of the time they are the ones it has. Commands go
// further: their process drops all three ids for good before exec (command_runner.h).
//
// When local does not run as root (tests, the development run) nothing is switched.
#pragma once

#include <sys/types.h>

#include <string>

#include "common/config/config.h"
#include "common/process/privileges.h"
#include "common/result.h"

namespace tern::local {

using process::UserIds;

class EffectiveIds {
 public:
  enum class After {
    kRestoreRoot,  // back to root when destroyed: a delivery child has more to do as root
    kKeep,         // stay the owner: a work-pool thread, whose next job asks for what it needs
  };
  explicit EffectiveIds(After after = After::kRestoreRoot) : after_(after) {}
  EffectiveIds(const EffectiveIds&) = delete;
  EffectiveIds& operator=(const EffectiveIds&) = delete;
  ~EffectiveIds();

  // Becomes uid/gid (effective ids, supplementary groups = gid only). Root is refused for
  // nothing here: the caller decides who may be root (nobody but the spool mbox creation).
  Result<void> become(uid_t uid, gid_t gid);
  // Back to root now (also done by the destructor, unless kKeep).
  void restore();

 private:
  After after_;
  bool switched_ = false;
};

// The user that files and commands of a root-owned alias file (or include file) run as:
// default_privs (Postfix's "nobody"), never root.
Result<UserIds> default_privs_user(const config::Config& config);

// The owner of an alias or include file: its uid's passwd entry; root (or an unknown uid)
// maps to default_privs_user.
Result<UserIds> owner_privileges(const config::Config& config, uid_t file_uid, gid_t file_gid);

}  // namespace tern::local

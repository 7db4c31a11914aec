// getpwnam/getpwuid look-ups and the uid/gid drop.
#include "common/process/privileges.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace tern::process {
namespace {

Result<UserIds> from_passwd(const passwd* pw) {
  return UserIds{pw->pw_uid, pw->pw_gid, pw->pw_name, pw->pw_dir ? pw->pw_dir : ""};
}

}  // namespace

Result<UserIds> lookup_user(const std::string& name) {
  std::vector<char> buffer(16384);
  passwd pw{};
  passwd* found = nullptr;
  int err = ::getpwnam_r(name.c_str(), &pw, buffer.data(), buffer.size(), &found);
  if (err != 0) return fail_errno("getpwnam(" + name + ")", err);
  if (found == nullptr) return fail("user '" + name + "' does not exist");
  return from_passwd(found);
}

Result<UserIds> lookup_uid(uid_t uid) {
  std::vector<char> buffer(16384);
  passwd pw{};
  passwd* found = nullptr;
  int err = ::getpwuid_r(uid, &pw, buffer.data(), buffer.size(), &found);
  if (err != 0) return fail_errno("getpwuid(" + std::to_string(uid) + ")", err);
  if (found == nullptr) return fail("uid " + std::to_string(uid) + " has no passwd entry");
  return from_passwd(found);
}

bool running_as_root() { return ::geteuid() == 0; }

Result<void> drop_privileges(const std::string& user) {
  if (!running_as_root()) return {};
  auto ids = lookup_user(user);
  if (!ids) return std::unexpected(ids.error());
  if (ids->uid == 0) return fail("tern_user '" + user + "' must not be root");
  if (::setgroups(1, &ids->gid) != 0) return fail_errno("setgroups", errno);
  if (::setresgid(ids->gid, ids->gid, ids->gid) != 0) return fail_errno("setresgid", errno);
  if (::setresuid(ids->uid, ids->uid, ids->uid) != 0) return fail_errno("setresuid", errno);
  if (::setuid(0) == 0) return fail("privileges could be regained after dropping them");
  return {};
}

Result<UserIds> spool_owner(const std::string& tern_user) {
  if (running_as_root()) return lookup_user(tern_user);
  return UserIds{::getuid(), ::getgid(), "", ""};
}

}  // namespace tern::process

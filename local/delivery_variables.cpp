// delivery_variables(): per-recipient names for forward_path and mailbox_command.
#include "local/delivery_variables.h"

#include <pwd.h>

namespace tern::local {

std::string login_shell(uid_t uid) {
  struct passwd pw;
  struct passwd* found = nullptr;
  char buf[4096];
  if (::getpwuid_r(uid, &pw, buf, sizeof buf, &found) != 0 || found == nullptr || pw.pw_shell == nullptr) return "";
  return pw.pw_shell;
}

config::Config::Locals delivery_variables(const AddressedTo& to, const process::UserIds& user) {
  size_t at = to.address.rfind('@');
  return {
      {"home", user.home},
      {"user", user.name},
      {"shell", login_shell(user.uid)},
      {"recipient", to.address},
      {"extension", user.name == to.user ? to.extension : std::string()},
      {"local", at == std::string::npos ? to.address : to.address.substr(0, at)},
      {"domain", at == std::string::npos ? std::string() : to.address.substr(at + 1)},
  };
}

}  // namespace tern::local

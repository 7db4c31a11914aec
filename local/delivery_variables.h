// delivery_variables(): the per-recipient names that forward_path and mailbox_command may use
// ($home, $user, $shell, $recipient, $extension, $domain, $local), as Postfix's local(8)
// defines them. $extension belongs to the user the mail was addressed to only: a user reached
// through an alias or a .forward gets none.
#pragma once

#include <string>

#include "common/config/config.h"
#include "common/process/privileges.h"

namespace tern::local {

struct AddressedTo {
  std::string address;    // the recipient being delivered
  std::string user;       // the local user it was addressed to (mailbox)
  std::string extension;  // its recipient_delimiter extension, if any
};

config::Config::Locals delivery_variables(const AddressedTo& to, const process::UserIds& user);

// The login shell of uid from the password database, or "" if none.
std::string login_shell(uid_t uid);

}  // namespace tern::local

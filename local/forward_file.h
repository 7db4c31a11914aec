// read_forward_file(): a local user's .forward (forward(5)), as Postfix's local(8) finds it:
// the first file of forward_path that exists, the path's $home, $user, $shell, $recipient,
// $extension, $domain and $local filled in for this recipient ($extension only for the user
// the message was addressed to).
//
// The file is opened with the user's privileges, without following a symbolic link at its
// last component. It is used only if it is a regular file that belongs to the user (or to
// root) and that neither group nor others may write; any other file is skipped with a
// warning, as if it were not there, so that nobody else can redirect the user's mail. Its
// entries are read like an :include: file and run with the user's privileges.
//
// Errors (the recipient is deferred): a file that exists but cannot be read.
#pragma once

#include <optional>
#include <string>

#include "common/config/config.h"
#include "local/alias_expansion.h"
#include "local/delivery_variables.h"

namespace tern::local {

// nullopt: the user has no (usable) .forward, or no such user.
Result<std::optional<IncludeFile>> read_forward_file(const config::Config& config, const AddressedTo& recipient,
                                                     const std::string& user);

}  // namespace tern::local

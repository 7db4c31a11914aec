// run_command(): delivery to an alias `|command` target. The command runs in a process of its
// own, started with fork+execve -- never a shell -- from the argument vector split out of the
// aliases file (command_argv.h). The envelope reaches it only as environment values (SENDER,
// RECIPIENT, ORIGINAL_RECIPIENT, QUEUE_ID, LOCAL, DOMAIN, plus HOME, USER, LOGNAME, SHELL,
// PATH), the message on stdin. Before exec the process drops to `as` for good (setgroups,
// setgid, setuid; never root), gets its own process group, /dev/null-free stdio (stdin the
// message, stdout+stderr captured for the diagnostic) and no other inherited descriptors.
//
// Exit status 0 is delivered; 75 (EX_TEMPFAIL), 71 (EX_OSERR), 74 (EX_IOERR), a signal or the
// time limit (the process group is killed) are DEFERRED 4.3.0; any other status BOUNCED 5.3.0.
// Blocking; called in a delivery child.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "local/identity.h"
#include "local/status.h"

namespace tern::local {

struct CommandRequest {
  std::vector<std::string> argv;                              // argv[0]: absolute, or found in PATH
  std::vector<std::pair<std::string, std::string>> env;       // exactly these variables
  std::string_view input;                                     // the message
  UserIds as;                                                 // never root when local is root
  int timeout_seconds = 1000;
};

DeliveryStatus run_command(const CommandRequest& request);

// The search path commands get, as in Postfix's default command_execution_path-free setup.
inline constexpr const char* kCommandPath = "/usr/local/bin:/usr/bin:/bin";

}  // namespace tern::local

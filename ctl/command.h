// The shape of a ternctl command: a name, a one-line summary for usage, and a function from
// the remaining arguments to an exit status (sysexits: 0 ok, 64 usage, 69 unavailable, 75
// temporary, 78 config).
#pragma once

#include <string>
#include <vector>

namespace tern::ctl {

struct Invocation {
  std::string config_directory;         // from -c, $MAIL_CONFIG or /etc/tern
  std::vector<std::string> args;        // after the command word(s)
};

inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 64;
inline constexpr int kExitUnavailable = 69;
inline constexpr int kExitSoftware = 70;
inline constexpr int kExitTempFail = 75;
inline constexpr int kExitConfig = 78;

using CommandFn = int (*)(const Invocation&);

struct Command {
  const char* name;       // "start", "config check"
  const char* summary;
  CommandFn run;
};

// Commands, each in its own file.
int run_start(const Invocation&);
int run_stop(const Invocation&);
int run_reload(const Invocation&);
int run_status(const Invocation&);
int run_config_check(const Invocation&);
int run_config_show(const Invocation&);
int run_queue_list(const Invocation&);
int run_queue_show(const Invocation&);
int run_queue_hold(const Invocation&);
int run_queue_release(const Invocation&);
int run_queue_delete(const Invocation&);
int run_queue_requeue(const Invocation&);
int run_queue_flush(const Invocation&);
int run_mailq(const Invocation&);  // mailq: the queue in Postfix's format
int run_mailq_argv(int argc, char** argv);  // mailq [-c DIR], called by that name
int run_import_postfix(const Invocation&);  // import-postfix [main.cf]: a tern.conf on stdout
int run_passwd(const Invocation&);  // passwd USER: set an SMTP AUTH password

}  // namespace tern::ctl

// The table of ternctl commands and argument parsing.
#include "ctl/dispatch.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "ctl/command.h"
#include "ctl/commands/newaliases_command.h"
#include "ctl/commands/sendmail_command.h"

namespace tern::ctl {
namespace {

constexpr Command kCommands[] = {
    {"start", "start tern in the background", run_start},
    {"stop", "stop tern gracefully", run_stop},
    {"reload", "re-read the configuration without dropping connections", run_reload},
    {"status", "show each program's pid and uptime", run_status},
    {"config check", "validate tern.conf and the tables it names", run_config_check},
    {"config show", "print effective parameter values ([-n]: only those set)", run_config_show},
    {"passwd", "set USER's SMTP AUTH password (from stdin, or prompted)", run_passwd},
    {"queue list", "list queued messages ([--json]; mailq is the same in Postfix's format)", run_queue_list},
    {"queue show", "print a queued message: queue show ID", run_queue_show},
    {"queue hold", "hold messages: queue hold ID...|ALL", run_queue_hold},
    {"queue release", "release held messages: queue release ID...|ALL", run_queue_release},
    {"queue delete", "delete messages: queue delete ID...|ALL", run_queue_delete},
    {"queue requeue", "route messages again now: queue requeue ID...|ALL", run_queue_requeue},
    {"queue flush", "retry all deferred mail now", run_queue_flush},
    {"import-postfix", "print a tern.conf made from a Postfix main.cf: import-postfix [FILE]", run_import_postfix},
};

void usage(FILE* out) {
  std::fprintf(out, "usage: ternctl [-c config_directory] command [args]\ncommands:\n");
  for (const auto& c : kCommands) std::fprintf(out, "  %-14s %s\n", c.name, c.summary);
}

}  // namespace

int run_ternctl(int argc, char** argv) {
  const char* dir = nullptr;
  int i = 1;
  for (; i < argc; ++i) {
    if (std::strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
      dir = argv[++i];
    } else if (std::strcmp(argv[i], "-h") == 0 || std::strcmp(argv[i], "--help") == 0) {
      usage(stdout);
      return kExitOk;
    } else {
      break;
    }
  }
  std::vector<std::string> words(argv + i, argv + argc);
  if (words.empty()) {
    usage(stderr);
    return kExitUsage;
  }
  for (const auto& command : kCommands) {
    // A command name is one or two words ("config check").
    std::string name = command.name;
    size_t space = name.find(' ');
    size_t used = 0;
    if (space == std::string::npos) {
      if (words[0] == name) used = 1;
    } else if (words.size() >= 2 && words[0] == name.substr(0, space) && words[1] == name.substr(space + 1)) {
      used = 2;
    }
    if (used == 0) continue;
    Invocation inv;
    inv.config_directory = config::config_directory_from(dir);
    inv.args.assign(words.begin() + static_cast<long>(used), words.end());
    return command.run(inv);
  }
  std::fprintf(stderr, "ternctl: unknown command '%s'\n", words[0].c_str());
  usage(stderr);
  return kExitUsage;
}

bool is_compatibility_name(const std::string& name) {
  return name == "mailq" || name == "sendmail" || name == "newaliases";
}

int run_compatibility(const std::string& name, int argc, char** argv) {
  if (name == "mailq") return run_mailq_argv(argc, argv);
  if (name == "newaliases") return run_newaliases_argv(argc, argv);
  if (name == "sendmail") return run_sendmail_argv(argc, argv);
  // Queue listing, local submission and alias checks arrive with the qmgr/local and
  // sendmail work; until then say so plainly instead of pretending.
  std::fprintf(stderr, "%s: not available in this build of tern yet\n", name.c_str());
  return kExitUnavailable;
}

}  // namespace tern::ctl

// The table of programs master runs, and the sockets each one is handed (DESIGN.md §1, §3).
#pragma once

#include <string>
#include <vector>

#include "common/config/config.h"
#include "common/process/inherited_fds.h"
#include "master/supervisor.h"

namespace tern::master {

// The private IPC sockets master creates (under <spool>/private/) and the program serving each.
struct IpcSocketSpec {
  const char* program;     // who listens on it
  const char* path;        // relative to the spool directory
  bool public_socket;      // <spool>/public: any local user may connect (sendmail)
};

inline constexpr IpcSocketSpec kIpcSockets[] = {
    {"lookup", "private/lookup", false},
    {"qmgr", "private/qmgr", false},
    {"local", "private/local", false},
    {"smtp", "private/smtp", false},
    {"smtpd", "public/submit", true},
};

inline constexpr const char* kControlSocket = "private/control";

// How many smtpd processes: smtpd_process_count, 0 meaning one per two cores (at least one).
int smtpd_instances(const config::Config& config);

// Builds the spec of every program from the open sockets: ipc_fds holds one NamedFd per
// kIpcSockets entry with role = program name; listeners are smtpd's TCP sockets.
std::vector<ProgramSpec> program_specs(const config::Config& config,
                                       const std::vector<process::NamedFd>& ipc_fds,
                                       const std::vector<process::NamedFd>& listeners);

}  // namespace tern::master

// ControlClient: one request to master over <spool>/private/control, for ternctl.
#pragma once

#include <string>

#include "common/config/config.h"
#include "common/result.h"
#include "control.pb.h"

namespace tern::ctl {

// Sends the request to the master of this config's spool and returns its reply.
Result<proto::ControlReply> call_master(const config::Config& config, proto::ControlRequest request,
                                        int timeout_ms = 10'000);

// The pid of the running master (from its locked pid file), or 0.
int running_master_pid(const config::Config& config);

// Loads the config for a command, printing errors as "file:line: why" on stderr.
Result<config::Config> load_config_or_report(const std::string& directory);

}  // namespace tern::ctl

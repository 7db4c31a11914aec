// Blocking control requests from ternctl to master.
#include "ctl/control_client.h"

#include <cstdio>

#include "common/ipc/blocking_client.h"
#include "common/process/pid_file.h"

namespace tern::ctl {

Result<proto::ControlReply> call_master(const config::Config& config, proto::ControlRequest request,
                                        int timeout_ms) {
  request.set_id(1);
  std::string path = config.get("spool_directory") + "/private/control";
  auto bytes = ipc::blocking_call(path, request, timeout_ms);
  if (!bytes) return fail("cannot talk to master (" + path + "): " + bytes.error().message, bytes.error().code);
  proto::ControlReply reply;
  if (!reply.ParseFromString(*bytes)) return fail("master sent a malformed reply");
  if (!reply.ok()) return fail("master: " + reply.error());
  return reply;
}

int running_master_pid(const config::Config& config) {
  return process::locked_master_pid(config.get("spool_directory") + "/pid/master.pid");
}

Result<config::Config> load_config_or_report(const std::string& directory) {
  std::vector<config::Diagnostic> warnings;
  auto config = config::Config::load(directory, &warnings);
  for (const auto& w : warnings) std::fprintf(stderr, "ternctl: warning: %s\n", w.to_string().c_str());
  if (!config) {
    std::fprintf(stderr, "%s\n", config.error().message.c_str());
    return std::unexpected(config.error());
  }
  return config;
}

}  // namespace tern::ctl

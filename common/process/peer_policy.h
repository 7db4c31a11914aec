// The peer policy of Tern's private IPC sockets for this config: root, tern_user, and this
// process's own uid (an unprivileged development or test run).
#pragma once

#include "common/config/config.h"
#include "common/ipc/listener.h"

namespace tern::process {

ipc::PeerPolicy trusted_peer_policy(const config::Config& config);

}  // namespace tern::process

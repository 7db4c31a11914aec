// Builds the trusted-peer policy from tern_user.
#include "common/process/peer_policy.h"

#include "common/process/privileges.h"

namespace tern::process {

ipc::PeerPolicy trusted_peer_policy(const config::Config& config) {
  auto tern = lookup_user(config.get("tern_user"));
  return ipc::PeerPolicy::trusted(tern ? tern->uid : ipc::kNoUid);
}

}  // namespace tern::process

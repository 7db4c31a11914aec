// virtual_owner(): the uid and gid a virtual mailbox is written as, from virtual_uid_maps and
// virtual_gid_maps (Postfix's "static:N", or text tables "address N"), defaulting to the
// owner of virtual_mailbox_base. Ids below virtual_minimum_uid are refused (never root).
// Reads table files; runs in a delivery child.
#pragma once

#include <sys/types.h>

#include <string>

#include "common/config/config.h"
#include "common/result.h"

namespace tern::local {

struct VirtualOwner {
  uid_t uid = 0;
  gid_t gid = 0;
};

Result<VirtualOwner> virtual_owner(const config::Config& config, const std::string& address);

}  // namespace tern::local

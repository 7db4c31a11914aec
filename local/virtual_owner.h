// virtual_owner(): the uid and gid a virtual mailbox is written as, from virtual_uid_maps and
// virtual_gid_maps (Postfix's "static:N", or text tables "address N"), defaulting to the
// owner of virtual_mailbox_base (looked at only when a map gives no value). Ids below
// virtual_minimum_uid are refused (never root) when local runs as root. Reads table files, as
// root; runs where the delivery runs (a delivery child or a work-pool thread).
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

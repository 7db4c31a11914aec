// Delivery to each kind of target, in a delivery child (as root, switching ids per target) or,
// for a virtual Maildir, on a work-pool thread (which keeps the owner's ids: ctx.keep_ids):
//   deliver_to_user      a system user: home_mailbox (Maildir if it ends in '/', else an mbox
//                        file under the home directory) as the user, or the mbox
//                        mail_spool_directory/USER (created by root, owned by the user)
//   deliver_to_file      an alias /file target (mbox append; /dir/ = Maildir) as its owner
//   deliver_to_command   an alias |command target (command_runner.h) as its owner
//   deliver_to_virtual   a virtual mailbox under virtual_mailbox_base as virtual_uid_maps /
//                        virtual_gid_maps say (default: the owner of virtual_mailbox_base)
// Blocking. Every failure is a DeliveryStatus (no such user 5.1.1, restricted 5.7.1,
// mailbox full 5.2.2, I/O 4.x.x).
#pragma once

#include <cstdint>
#include <string>

#include "common/config/config.h"
#include "local/alias_expansion.h"
#include "local/status.h"

namespace tern::local {

struct DeliveryContext {
  const config::Config& config;
  std::string queue_id;
  uint32_t index = 0;
  std::string sender;
  std::string recipient;     // the address being delivered (Delivered-To:)
  std::string original;      // the envelope recipient it came from
  std::string addressed_user;  // the local user the recipient names (mailbox), for $extension
  std::string extension;       // the recipient's recipient_delimiter extension, if any
  std::string content;       // the message with Return-Path: and Delivered-To:, LF line ends
  int64_t arrival_seconds = 0;
  bool first_attempt = false;  // RecipientJob::first_attempt: no earlier copy to look for
  bool keep_ids = false;       // RecipientJob::keep_ids: stay the mailbox owner afterwards
};

// A local user's mailbox: mailbox_command if set (run as the user; default_privs for root),
// else home_mailbox, else mail_spool_directory.
DeliveryStatus deliver_to_user(const DeliveryContext& ctx, const std::string& user);
DeliveryStatus deliver_to_file(const DeliveryContext& ctx, const Target& target);
DeliveryStatus deliver_to_command(const DeliveryContext& ctx, const Target& target);
DeliveryStatus deliver_to_virtual(const DeliveryContext& ctx, const std::string& mailbox);

// A virtual mailbox path must stay under virtual_mailbox_base: relative, no "." or ".."
// components, no empty name.
bool safe_relative_path(const std::string& path);

}  // namespace tern::local

// Delivery to users, files, commands and virtual mailboxes.
#include "local/targets.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>

#include "common/log/log.h"
#include "common/process/privileges.h"
#include "local/command_argv.h"
#include "local/command_runner.h"
#include "local/delivery_variables.h"
#include "local/identity.h"
#include "local/maildir.h"
#include "local/mbox.h"
#include "local/thread_ids.h"
#include "local/virtual_owner.h"

namespace tern::local {
namespace {

bool allowed(const config::Config& config, const char* parameter, const std::string& origin) {
  auto list = config.get_list(parameter);
  return std::find(list.begin(), list.end(), origin) != list.end();
}

std::string maildir_name(const DeliveryContext& ctx) {
  return maildir_file_name(ctx.queue_id, ctx.index, ctx.config.get("myhostname"), ctx.arrival_seconds);
}

std::string domain_of(const std::string& address) {
  size_t at = address.rfind('@');
  return at == std::string::npos ? "" : address.substr(at + 1);
}

std::string local_of(const std::string& address) {
  size_t at = address.rfind('@');
  return at == std::string::npos ? address : address.substr(0, at);
}

// Delivers the context's message as `ids` into `path`: a Maildir when it ends in '/'.
DeliveryStatus deliver_as(const DeliveryContext& ctx, uid_t uid, gid_t gid, const std::string& path,
                          int64_t size_limit, bool dotlock_may_fail) {
  EffectiveIds ids(ctx.keep_ids ? EffectiveIds::After::kKeep : EffectiveIds::After::kRestoreRoot);
  if (auto became = ids.become(uid, gid); !became) return DeliveryStatus::defer("4.3.0", became.error().message);
  if (!path.empty() && path.back() == '/') {
    MaildirOptions options;
    options.size_limit = size_limit;
    options.may_exist = !ctx.first_attempt;
    return deliver_maildir(path, maildir_name(ctx), ctx.content, options);
  }
  MboxOptions options;
  options.size_limit = size_limit;
  options.dotlock_may_fail = dotlock_may_fail;
  return deliver_mbox(path, ctx.sender, ctx.content, std::time(nullptr), options);
}

// Runs `text` (command_argv.h) as `as`, the message on its input, the envelope in its
// environment only.
DeliveryStatus run_command_as(const DeliveryContext& ctx, const UserIds& as, const std::string& text,
                              const std::string& what) {
  auto argv = command_argv(text);
  if (!argv) return DeliveryStatus::defer("4.3.5", what + ": " + argv.error().message);
  CommandRequest request;
  request.argv = std::move(*argv);
  request.as = as;
  request.input = ctx.content;
  request.timeout_seconds = static_cast<int>(ctx.config.get_time("command_time_limit"));
  std::string home = as.home.empty() ? "/" : as.home;
  std::string shell = login_shell(as.uid);
  request.env = {
      {"SENDER", ctx.sender},
      {"RECIPIENT", ctx.recipient},
      {"ORIGINAL_RECIPIENT", ctx.original},
      {"QUEUE_ID", ctx.queue_id},
      {"LOCAL", local_of(ctx.recipient)},
      {"DOMAIN", domain_of(ctx.recipient)},
      {"EXTENSION", as.name == ctx.addressed_user ? ctx.extension : std::string()},
      {"HOME", home},
      {"USER", as.name},
      {"LOGNAME", as.name},
      {"SHELL", shell.empty() ? "/bin/sh" : shell},
      {"PATH", kCommandPath},
  };
  return run_command(request);
}

}  // namespace

DeliveryStatus deliver_to_user(const DeliveryContext& ctx, const std::string& user) {
  auto ids = process::lookup_user(user);
  if (!ids) return DeliveryStatus::bounce("5.1.1", "unknown user: \"" + user + "\"");
  std::string command = ctx.config.get("mailbox_command");  // as written: shell syntax, no $name expansion
  if (!command.empty()) {
    UserIds as = *ids;
    if (as.uid == 0) {  // never root: Postfix runs root's mailbox_command as default_privs
      auto privs = default_privs_user(ctx.config);
      if (!privs) return DeliveryStatus::defer("4.3.5", privs.error().message);
      as = *privs;
    }
    return run_command_as(ctx, as, command, "mailbox_command");
  }
  int64_t limit = ctx.config.get_int("mailbox_size_limit");
  std::string home_mailbox = ctx.config.get("home_mailbox");
  if (!home_mailbox.empty()) {
    return deliver_as(ctx, ids->uid, ids->gid, ids->home + "/" + home_mailbox, limit, false);
  }
  std::string spool = ctx.config.get("mail_spool_directory");
  if (!spool.empty() && spool.back() == '/') return deliver_as(ctx, ids->uid, ids->gid, spool + user + "/", limit, false);
  // The mail spool directory is usually writable by root (and group mail) only: the mailbox
  // and its lock are made as root, and the file is given to the user.
  MboxOptions options;
  options.size_limit = limit;
  if (ThreadIds::current().privileged()) {
    options.owner_uid = ids->uid;
    options.owner_gid = ids->gid;
  }
  return deliver_mbox(spool + "/" + user, ctx.sender, ctx.content, std::time(nullptr), options);
}

DeliveryStatus deliver_to_file(const DeliveryContext& ctx, const Target& target) {
  if (!allowed(ctx.config, "allow_mail_to_files", target.origin)) {
    return DeliveryStatus::bounce("5.7.1", "mail to file is restricted (" + target.origin + "): " + target.value);
  }
  return deliver_as(ctx, target.owner.uid, target.owner.gid, target.value, 0, true);
}

DeliveryStatus deliver_to_command(const DeliveryContext& ctx, const Target& target) {
  if (!allowed(ctx.config, "allow_mail_to_commands", target.origin)) {
    return DeliveryStatus::bounce("5.7.1", "mail to command is restricted (" + target.origin + ")");
  }
  return run_command_as(ctx, target.owner, target.value, target.origin + " command");
}

bool safe_relative_path(const std::string& path) {
  if (path.empty() || path.front() == '/') return false;
  size_t pos = 0;
  while (pos < path.size()) {
    size_t slash = path.find('/', pos);
    std::string part = path.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
    if (part == "." || part == ".." || (part.empty() && slash != std::string::npos && slash + 1 < path.size())) return false;
    if (slash == std::string::npos) break;
    pos = slash + 1;
  }
  return true;
}

DeliveryStatus deliver_to_virtual(const DeliveryContext& ctx, const std::string& mailbox) {
  std::string base = ctx.config.get("virtual_mailbox_base");
  if (base.empty()) return DeliveryStatus::defer("4.3.5", "virtual_mailbox_base is not set");
  if (!safe_relative_path(mailbox)) return DeliveryStatus::defer("4.3.5", "unsafe virtual mailbox path: " + mailbox);
  auto owner = virtual_owner(ctx.config, ctx.recipient);
  if (!owner) return DeliveryStatus::defer("4.3.5", owner.error().message);
  std::string path = base + "/" + mailbox;
  if (path.back() != '/') {
    EffectiveIds ids;
    if (auto became = ids.become(owner->uid, owner->gid); !became) return DeliveryStatus::defer("4.3.0", became.error().message);
    if (auto made = make_directories(path.substr(0, path.rfind('/'))); !made) return DeliveryStatus::from_error(made.error());
  }
  return deliver_as(ctx, owner->uid, owner->gid, path, ctx.config.get_int("virtual_mailbox_limit"), false);
}

}  // namespace tern::local

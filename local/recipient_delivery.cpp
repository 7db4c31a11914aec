// deliver_recipient(): queue file -> loop check -> targets -> one RecipientResult.
#include "local/recipient_delivery.h"

#include <cctype>

#include "common/spool/layout.h"
#include "common/tables/table_name.h"
#include "local/alias_tables.h"
#include "local/forward_file.h"
#include "local/message.h"
#include "local/queued_message.h"
#include "local/targets.h"
#include "local/thread_ids.h"

namespace tern::local {
namespace {

proto::RecipientResult result_of(const RecipientJob& job, const DeliveryStatus& status) {
  proto::RecipientResult result;
  result.set_index(job.recipient.index());
  result.set_outcome(status.outcome);
  result.set_dsn_status(status.dsn);
  result.set_diagnostic(status.text);
  result.set_relay(job.is_virtual ? "virtual" : "local");
  return result;
}

std::string local_part(const std::string& address) {
  size_t at = address.rfind('@');
  return at == std::string::npos ? address : address.substr(0, at);
}

// The local name to look up in alias_maps: the full local part ("user+ext") when it is an
// alias of its own, else the mailbox qmgr resolved (extension removed).
std::string alias_key(const RecipientJob& job, const AliasTables& tables) {
  std::string full = tables::lowercase(local_part(job.recipient.address()));
  if (!full.empty() && tables.lookup(full)) return full;
  if (!job.recipient.mailbox().empty()) return job.recipient.mailbox();
  return full;
}

DeliveryStatus deliver_target(const DeliveryContext& ctx, const Target& target) {
  switch (target.kind) {
    case TargetKind::kUser: return deliver_to_user(ctx, target.value);
    case TargetKind::kFile: return deliver_to_file(ctx, target);
    case TargetKind::kCommand: return deliver_to_command(ctx, target);
    case TargetKind::kAddress: break;
  }
  return DeliveryStatus::sent("");
}

}  // namespace

bool safe_queue_id(const std::string& queue_id) {
  if (queue_id.empty() || queue_id.size() > 64) return false;
  for (char c : queue_id) {
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

proto::RecipientResult deliver_recipient(const config::Config& config, const RecipientJob& job) {
  if (!safe_queue_id(job.queue_id)) return result_of(job, DeliveryStatus::defer("4.3.0", "bad queue id"));
  // The spool and the tables are root's to read. A pool thread that keeps a mailbox owner's
  // ids needs only the uid back; a delivery child goes on to create files as root.
  ThreadIds& ids = ThreadIds::current();
  if (auto root = job.keep_ids ? ids.become_root_uid() : ids.become_root(); !root) {
    return result_of(job, DeliveryStatus::defer("4.3.0", root.error().message));
  }
  auto queued = read_queued_message(std::string(spool::kQueueDir) + "/" + job.queue_id);
  if (!queued) return result_of(job, DeliveryStatus::from_error(queued.error()));

  const std::string& address = job.recipient.address();
  std::string message = to_unix_line_ends(queued->message());
  queued->bytes = std::string();
  if (has_delivered_to(message, address)) {
    return result_of(job, DeliveryStatus::bounce("5.4.6", "mail forwarding loop for " + address));
  }
  DeliveryContext ctx{config};
  ctx.queue_id = job.queue_id;
  ctx.index = job.recipient.index();
  ctx.sender = queued->envelope.sender();
  ctx.recipient = address;
  ctx.original = job.recipient.original().empty() ? address : job.recipient.original();
  ctx.addressed_user = job.recipient.mailbox();
  ctx.extension = job.recipient.extension();
  ctx.content = prepend_trace_headers(message, ctx.sender, address);
  ctx.arrival_seconds = queued->envelope.arrival_time_us() / 1000000;
  ctx.first_attempt = job.first_attempt;
  ctx.keep_ids = job.keep_ids;
  message.clear();

  if (job.is_virtual) return result_of(job, deliver_to_virtual(ctx, job.recipient.mailbox()));

  auto tables = AliasTables::load(config);
  if (!tables) return result_of(job, DeliveryStatus::defer("4.3.0", "alias_maps: " + tables.error().message));
  AliasSource source = tables->source(config);
  AddressedTo forward_for{address, job.recipient.mailbox(), job.recipient.extension()};
  source.read_forward = [&config, &forward_for](const std::string& user) {
    return read_forward_file(config, forward_for, user);
  };
  Expansion expansion = expand_local(alias_key(job, *tables), source);
  if (!expansion.status.delivered()) return result_of(job, expansion.status);

  DeliveryStatus overall = DeliveryStatus::sent("");
  std::string texts;
  std::vector<std::string> addresses;
  for (const Target& target : expansion.targets) {
    if (target.kind == TargetKind::kAddress) {
      addresses.push_back(target.value);
      continue;
    }
    DeliveryStatus status = deliver_target(ctx, target);
    if (!texts.empty()) texts += "; ";
    texts += status.text;
    overall = worse(overall, status);
  }
  if (!overall.delivered()) return result_of(job, overall);
  if (!addresses.empty()) {
    if (!texts.empty()) texts += "; ";
    texts += "alias or .forward expanded to " + std::to_string(addresses.size()) + " address(es)";
  }
  proto::RecipientResult result = result_of(job, DeliveryStatus::sent(texts));
  for (const std::string& a : addresses) {
    proto::DeliveryRecipient* added = result.add_expanded();
    added->set_index(job.recipient.index());
    added->set_address(a);
    added->set_original(ctx.original);
    added->set_orcpt(job.recipient.orcpt());
    added->set_notify(job.recipient.notify());
  }
  return result;
}

}  // namespace tern::local

// LocalDelivery: request bookkeeping, the child pool, replies and the delivery log lines.
#include "local/service.h"

#include <signal.h>

#include "common/log/log.h"
#include "common/process/peer_policy.h"
#include "local/pooled_delivery.h"

namespace tern::local {
namespace {

const char* status_word(const proto::RecipientResult& r) {
  switch (r.outcome()) {
    case proto::RecipientResult::DELIVERED: return r.expanded_size() > 0 ? "expanded" : "sent";
    case proto::RecipientResult::DEFERRED: return "deferred";
    case proto::RecipientResult::BOUNCED: return "bounced";
    default: return "unknown";
  }
}

proto::RecipientResult deferred(uint32_t index, const char* text) {
  proto::RecipientResult result;
  result.set_index(index);
  result.set_outcome(proto::RecipientResult::DEFERRED);
  result.set_dsn_status("4.3.0");
  result.set_diagnostic(text);
  result.set_relay("local");
  return result;
}

}  // namespace

Result<std::unique_ptr<process::Service>> LocalDelivery::create(process::ServiceContext& context) {
  std::unique_ptr<LocalDelivery> service(new LocalDelivery(context));
  int fd = context.fds.first("ipc");
  if (fd < 0) return fail("local: no IPC socket was handed over (run it from master)");
  if (auto listening = service->server_.listen(fd, process::trusted_peer_policy(context.config)); !listening) {
    return std::unexpected(listening.error());
  }
  return std::unique_ptr<process::Service>(std::move(service));
}

LocalDelivery::LocalDelivery(process::ServiceContext& context)
    : context_(context),
      config_(context.config),
      shared_config_(std::make_shared<const config::Config>(context.config)),
      server_(context.loop, "local",
              [this](const ipc::Peer& peer, proto::DeliveryRequest request) { on_request(peer, std::move(request)); }),
      sigchld_(context.loop, SIGCHLD, [] { reap_children(); }) {}

void LocalDelivery::reload(const config::Config& config) {
  config_ = config;
  shared_config_ = std::make_shared<const config::Config>(config);
}

void LocalDelivery::on_request(const ipc::Peer& peer, proto::DeliveryRequest request) {
  uint64_t id = ++last_request_;
  Pending& pending = pending_[id];
  pending.conn_id = peer.conn_id;
  pending.reply.set_id(request.id());
  for (int i = 0; i < request.recipients_size(); ++i) {
    const proto::DeliveryRecipient& r = request.recipients(i);
    if (shutdown_done_) {
      *pending.reply.add_results() = deferred(r.index(), "local is shutting down");
      continue;
    }
    pending.reply.add_results()->set_index(r.index());
    ++pending.remaining;
    Job job{id, i, RecipientJob{request.queue_id(), r, r.virtual_mailbox(), request.first_attempt()}};
    (poolable(job.work) ? pool_waiting_ : waiting_).push_back(std::move(job));
  }
  if (pending.remaining == 0) {
    server_.reply(pending.conn_id, pending.reply);
    pending_.erase(id);
    return;
  }
  start_jobs();
}

void LocalDelivery::start_pooled_jobs() {
  while (!pool_waiting_.empty() && pool_running_ < kMaxPooled) {
    Job job = std::move(pool_waiting_.front());
    pool_waiting_.pop_front();
    ++pool_running_;
    deliver_in_pool(context_.loop, shared_config_, std::move(job.work),
                    [this, request = job.request, slot = job.slot](const RecipientJob& work,
                                                                   proto::RecipientResult result) {
                      --pool_running_;
                      complete(request, slot, work, std::move(result));
                      start_pooled_jobs();
                      maybe_finish_shutdown();
                    });
  }
}

void LocalDelivery::start_jobs() {
  start_pooled_jobs();
  while (!waiting_.empty() && running_.size() < kMaxChildren) {
    Job job = std::move(waiting_.front());
    waiting_.pop_front();
    uint64_t child_id = ++last_child_;
    uint64_t timeout_ms = static_cast<uint64_t>(config_.get_time("command_time_limit") + 120) * 1000;
    const config::Config& config = config_;
    RecipientJob work = job.work;
    auto child = DeliveryChild::start(
        context_.loop, work.recipient.index(), timeout_ms, [&config, &work] { return deliver_recipient(config, work); },
        [this, child_id, request = job.request, slot = job.slot, work](proto::RecipientResult result) {
          complete(request, slot, work, std::move(result));
          running_.erase(child_id);
          start_jobs();
          maybe_finish_shutdown();
        });
    if (!child) {
      TERN_LOG_ERROR("%s: cannot start a delivery process: %s", work.queue_id.c_str(), child.error().message.c_str());
      complete(job.request, job.slot, work, deferred(work.recipient.index(), "cannot start a delivery process"));
      continue;
    }
    running_[child_id] = std::move(*child);
  }
}

void LocalDelivery::complete(uint64_t request, int slot, const RecipientJob& work, proto::RecipientResult result) {
  // qmgr logs the Postfix-shaped "to=<...>, status=..." line from this result; logging it here
  // too would make log tools (pflogsumm) count each delivery twice.
  TERN_LOG_DEBUG("%s: local result to=<%s>, orig_to=<%s>, relay=%s, dsn=%s, outcome=%s (%s)", work.queue_id.c_str(),
                work.recipient.address().c_str(), work.recipient.original().c_str(), result.relay().c_str(),
                result.dsn_status().c_str(), status_word(result), result.diagnostic().c_str());
  auto it = pending_.find(request);
  if (it == pending_.end()) return;
  Pending& pending = it->second;
  *pending.reply.mutable_results(slot) = std::move(result);
  if (--pending.remaining == 0) {
    // A requester that went away gets nothing: qmgr retries what it did not hear about, and
    // Maildir deliveries are idempotent.
    server_.reply(pending.conn_id, pending.reply);
    pending_.erase(it);
  }
}

void LocalDelivery::shutdown(std::function<void()> done) {
  shutdown_done_ = std::move(done);
  for (auto* queue : {&waiting_, &pool_waiting_}) {
    while (!queue->empty()) {
      Job job = std::move(queue->front());
      queue->pop_front();
      complete(job.request, job.slot, job.work, deferred(job.work.recipient.index(), "local is shutting down"));
    }
  }
  maybe_finish_shutdown();
}

void LocalDelivery::maybe_finish_shutdown() {
  if (shutdown_done_ && running_.empty() && waiting_.empty() && pool_running_ == 0 && pool_waiting_.empty()) {
    auto done = std::move(shutdown_done_);
    shutdown_done_ = [] {};  // stays set: requests from now on are deferred
    done();
  }
}

}  // namespace tern::local

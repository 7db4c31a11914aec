// QueueManager: set-up, request dispatch and queue runs (see service.h).
#include "qmgr/service.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "common/log/log.h"
#include "common/process/peer_policy.h"
#include "common/spool/layout.h"
#include "common/spool/queue_file.h"
#include "common/spool/spool_scan.h"
#include "qmgr/pickup.h"

namespace tern::qmgr {
namespace {

SchedulerLimits limits_from(const config::Config& config) {
  SchedulerLimits limits;
  limits.concurrency = static_cast<size_t>(
      std::max<int64_t>(1, config.get_int("default_destination_concurrency_limit")));
  limits.recipients = static_cast<size_t>(
      std::max<int64_t>(1, config.get_int("default_destination_recipient_limit")));
  return limits;
}

RetryPolicy policy_from(const config::Config& config) {
  constexpr int64_t kUs = 1'000'000;
  RetryPolicy p;
  p.min_backoff_us = config.get_time("minimal_backoff_time") * kUs;
  p.max_backoff_us = config.get_time("maximal_backoff_time") * kUs;
  p.lifetime_us = config.get_time("maximal_queue_lifetime") * kUs;
  p.bounce_lifetime_us = config.get_time("bounce_queue_lifetime") * kUs;
  p.delay_warning_us = config.get_time("delay_warning_time") * kUs;
  return p;
}

}  // namespace

Result<std::unique_ptr<process::Service>> QueueManager::create(process::ServiceContext& context) {
  std::unique_ptr<QueueManager> service(new QueueManager(context));
  int fd = context.fds.first("ipc");
  if (fd < 0) return fail("qmgr: no IPC socket was handed over (run it from master)");
  if (auto opened = service->open_spool(); !opened) return std::unexpected(opened.error());
  if (auto listening = service->server_.listen(fd, process::trusted_peer_policy(context.config));
      !listening) {
    return std::unexpected(listening.error());
  }
  auto policy = process::trusted_peer_policy(context.config);
  service->lookup_.set_peer_policy(policy);
  service->local_.set_peer_policy(policy);
  service->smtp_.set_peer_policy(policy);
  service->configure(context.config);
  service->request_run(false);
  return std::unique_ptr<process::Service>(std::move(service));
}

QueueManager::QueueManager(process::ServiceContext& context)
    : context_(context),
      ids_(clock_, ::getpid()),
      scheduler_(clock_, limits_from(context.config), policy_from(context.config)),
      server_(context.loop, "qmgr",
              [this](const ipc::Peer& peer, proto::QmgrRequest request) {
                on_request(peer, std::move(request));
              }),
      lookup_(context.loop, "private/lookup", "lookup"),
      local_(context.loop, "private/local", "local"),
      smtp_(context.loop, "private/smtp", "smtp"),
      run_timer_(context.loop),
      wake_timer_(context.loop) {}

Result<void> QueueManager::open_spool() {
  auto spool = spool::open_directory(AT_FDCWD, ".");
  if (!spool) return std::unexpected(spool.error());
  auto queue = spool::open_directory(spool->get(), spool::kQueueDir);
  if (!queue) return std::unexpected(queue.error());
  spool_fd_ = std::move(*spool);
  queue_fd_ = std::move(*queue);
  free_files_.emplace(spool_fd_.get(), clock_.now_us());
  // Nothing in incoming/ was ever accepted. qmgr starts before smtpd writes (master starts
  // the programs in order), and smtpd's own writer removes what it leaves behind.
  if (auto cleaned = spool::clean_incoming(spool_fd_.get()); !cleaned) {
    TERN_LOG_WARNING("cleaning incoming/: %s", cleaned.error().message.c_str());
  } else if (*cleaned > 0) {
    TERN_LOG_INFO("removed %d unfinished file(s) from incoming/", *cleaned);
  }
  return {};
}

void QueueManager::configure(const config::Config& config) {
  scheduler_.configure(limits_from(config), policy_from(config));
  soft_bounce_ = config.get_bool("soft_bounce");
  queue_run_delay_ms_ = static_cast<uint64_t>(std::max<int64_t>(1, config.get_time("queue_run_delay"))) * 1000;
  run_timer_.start_repeating(queue_run_delay_ms_, [this] { request_run(false); });
}

void QueueManager::reload(const config::Config& config) {
  configure(config);
  request_run(false);
}

void QueueManager::shutdown(std::function<void()> done) {
  // Every result is on disk before it is acted on, and agents deliver idempotently: work in
  // flight may be abandoned and is redone by the next qmgr.
  stopping_ = true;
  run_timer_.stop();
  wake_timer_.stop();
  done();
}

void QueueManager::on_request(const ipc::Peer& peer, proto::QmgrRequest request) {
  switch (request.body_case()) {
    case proto::QmgrRequest::kWakeup: return on_wakeup(peer, request);
    case proto::QmgrRequest::kAdmin: return on_admin(peer, request);
    default: {
      proto::QmgrReply reply;
      reply.set_id(request.id());
      reply.set_error("qmgr: empty or unknown request");
      server_.reply(peer.conn_id, reply);
    }
  }
}

void QueueManager::on_wakeup(const ipc::Peer& peer, const proto::QmgrRequest& request) {
  if (request.wakeup().queue_ids().empty()) {
    request_run(false);
  } else {
    // Newly accepted messages: read just those, not the whole queue.
    for (const std::string& id : request.wakeup().queue_ids()) {
      if (stopping_) break;
      if (spool::is_valid_queue_id(id)) consider(id, false, true);
    }
    pump();
  }
  proto::QmgrReply reply;
  reply.set_id(request.id());
  reply.set_ok(true);
  server_.reply(peer.conn_id, reply);
}

void QueueManager::request_run(bool force) {
  if (stopping_) return;
  run_forced_ |= force;
  if (wake_timer_.active()) return;  // a run is already coming: wake-ups coalesce
  wake_timer_.start(0, [this] { run_queue(); });
}

void QueueManager::run_queue() {
  bool force = std::exchange(run_forced_, false);
  std::set<std::string> forced = std::exchange(force_ids_, {});
  // Messages sendmail kept while smtpd could not take them (qmgr/pickup.h).
  if (pickup_maildrop(spool_fd_.get(), ids_, clock_, PickupSettings::from_config(context_.config)).more)
    request_run(false);
  auto ids = spool::list_queue(spool_fd_.get(), spool::kQueueDir);
  if (!ids) {
    TERN_LOG_ERROR("queue run: %s", ids.error().message.c_str());
    return;
  }
  std::set<std::string> present(ids->begin(), ids->end());
  std::erase_if(not_before_, [&](const auto& entry) { return !present.count(entry.first); });
  for (const auto& id : *ids) {
    if (stopping_) break;
    consider(id, force || forced.count(id) > 0);
  }
  pump();
}

void QueueManager::move_to_corrupt(const std::string& queue_id, const std::string& why) {
  TERN_LOG_WARNING("%s: moved to corrupt/: %s", queue_id.c_str(), why.c_str());
  if (auto moved = spool::move_to_corrupt(spool_fd_.get(), spool::kQueueDir, queue_id); !moved)
    TERN_LOG_ERROR("%s: %s", queue_id.c_str(), moved.error().message.c_str());
}

void QueueManager::consider(const std::string& queue_id, bool force, bool announced) {
  if (active_.count(queue_id)) return;
  int64_t now = clock_.now_us();
  if (!force) {
    auto due = not_before_.find(queue_id);
    if (due != not_before_.end() && due->second > now) return;
  }
  auto parsed = spool::read_queue_file(queue_fd_.get(), queue_id);
  if (!parsed) {
    if (parsed.error().code == ENOENT) return;  // finished or moved meanwhile
    if (parsed.error().code != EBADMSG) {
      TERN_LOG_WARNING("%s: %s", queue_id.c_str(), parsed.error().message.c_str());
      return;
    }
    move_to_corrupt(queue_id, parsed.error().message);
    return;
  }
  // A recycled file that a crash left under its new name with the old message's bytes
  // (queue_writer.h) names the old queue id: that message was done, this one never accepted.
  const std::string& written_for = parsed->envelope.queue_id();
  if (!written_for.empty() && written_for != queue_id) {
    move_to_corrupt(queue_id, "the envelope is that of " + written_for);
    return;
  }
  bool first_attempt = announced && parsed->statuses.empty();
  MessageState state = rebuild_state(*parsed);
  if (state.envelope.queue_id().empty()) state.envelope.set_queue_id(queue_id);
  int64_t due = state.next_attempt_us();
  if (!force && due > now) {
    not_before_[queue_id] = due;
    return;
  }
  not_before_.erase(queue_id);
  activate(queue_id, std::move(state), first_attempt);
}

}  // namespace tern::qmgr

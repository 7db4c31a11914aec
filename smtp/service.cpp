// SmtpDelivery: request dispatch, job ownership, TLS contexts (see service.h).
#include "smtp/service.h"

#include "common/log/log.h"
#include "common/process/peer_policy.h"

namespace tern::smtp {

Result<std::unique_ptr<process::Service>> SmtpDelivery::create(process::ServiceContext& context) {
  std::unique_ptr<SmtpDelivery> service(new SmtpDelivery(context));
  int fd = context.fds.first("ipc");
  if (fd < 0) return fail("smtp: no IPC socket was handed over (run it from master)");
  if (auto listening = service->server_.listen(fd, process::trusted_peer_policy(context.config)); !listening) {
    return std::unexpected(listening.error());
  }
  return std::unique_ptr<process::Service>(std::move(service));
}

SmtpDelivery::SmtpDelivery(process::ServiceContext& context)
    : context_(context),
      config_(context.config),
      lookup_(context.loop, "private/lookup", "lookup"),
      cache_(context.loop, static_cast<uint64_t>(context.config.get_time("smtp_connection_cache_time_limit")) * 1000),
      server_(context.loop, "smtp",
              [this](const ipc::Peer& peer, proto::DeliveryRequest request) { on_request(peer, std::move(request)); }),
      reaper_(context.loop) {
  make_tls_contexts();
}

void SmtpDelivery::make_tls_contexts() {
  std::string ca = config_.get("smtp_tls_CAfile");
  if (ca.empty()) ca = "/etc/ssl/certs/ca-certificates.crt";
  tls_may_ = tls::make_client_context({.verify_peer = false, .ca_file = ca});
  if (!tls_may_) TERN_LOG_WARNING("client TLS disabled: %s", tls_may_.error().message.c_str());
  tls_verify_ = tls::make_client_context({.verify_peer = true, .ca_file = ca});
  if (!tls_verify_) TERN_LOG_WARNING("TLS verification unavailable: %s", tls_verify_.error().message.c_str());
}

void SmtpDelivery::reload(const config::Config& config) {
  config_ = config;
  cache_.clear();
  make_tls_contexts();
}

void SmtpDelivery::on_request(const ipc::Peer& peer, proto::DeliveryRequest request) {
  uint64_t job_id = ++next_job_;
  uint64_t conn_id = peer.conn_id;
  JobDeps deps{context_.loop, &config_, &lookup_, &cache_, tls_may_, tls_verify_};
  auto job = std::make_unique<DeliveryJob>(deps, std::move(request), [this, job_id, conn_id](proto::DeliveryReply reply) {
    server_.reply(conn_id, reply);
    auto it = jobs_.find(job_id);
    if (it != jobs_.end()) {
      finished_.push_back(std::move(it->second));
      jobs_.erase(it);
      reaper_.start(0, [this] { reap(); });
    }
  });
  DeliveryJob* raw = job.get();
  jobs_.emplace(job_id, std::move(job));
  raw->start();
}

void SmtpDelivery::reap() {
  finished_.clear();
  if (jobs_.empty() && shutdown_done_) {
    cache_.clear();
    auto done = std::move(shutdown_done_);
    shutdown_done_ = nullptr;
    done();
  }
}

void SmtpDelivery::shutdown(std::function<void()> done) {
  // In-flight jobs are safe to abandon (qmgr treats a lost reply as a deferral), but a job
  // close to done is given the time run_service allows.
  cache_.clear();
  if (jobs_.empty()) return done();
  shutdown_done_ = std::move(done);
}

}  // namespace tern::smtp

// SmtpDelivery: smtp's service object -- outbound SMTP delivery. Serves its private IPC socket
// (<spool>/private/smtp) on the program's loop: each DeliveryRequest becomes a DeliveryJob
// whose DeliveryReply goes back to the requester (qmgr). Owns the lookup client, the client
// TLS contexts and the cache of idle sessions shared by all jobs.
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "common/ipc/rpc_server.h"
#include "common/process/service.h"
#include "common/uv/timer.h"
#include "delivery.pb.h"
#include "smtp/delivery_job.h"
#include "smtp/session_cache.h"

namespace tern::smtp {

class SmtpDelivery : public process::Service {
 public:
  static Result<std::unique_ptr<process::Service>> create(process::ServiceContext& context);
  void reload(const config::Config& config) override;
  void shutdown(std::function<void()> done) override;

 private:
  explicit SmtpDelivery(process::ServiceContext& context);
  void on_request(const ipc::Peer& peer, proto::DeliveryRequest request);
  void make_tls_contexts();
  void reap();

  process::ServiceContext& context_;
  config::Config config_;
  LookupClient lookup_;
  SessionCache cache_;
  Result<std::shared_ptr<tls::TlsContext>> tls_may_;
  Result<std::shared_ptr<tls::TlsContext>> tls_verify_;
  ipc::RpcServer<proto::DeliveryRequest> server_;
  uint64_t next_job_ = 0;
  std::map<uint64_t, std::unique_ptr<DeliveryJob>> jobs_;
  std::vector<std::unique_ptr<DeliveryJob>> finished_;  // destroyed on the next loop turn
  uv::Timer reaper_;
  std::function<void()> shutdown_done_;
};

}  // namespace tern::smtp

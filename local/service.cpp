// LocalDelivery: request dispatch.
#include "local/service.h"

#include "common/log/log.h"
#include "common/process/peer_policy.h"

namespace tern::local {

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
      server_(context.loop, "local", [this](const ipc::Peer& peer, proto::DeliveryRequest request) {
        on_request(peer, std::move(request));
      }) {}

void LocalDelivery::on_request(const ipc::Peer& peer, proto::DeliveryRequest request) {
  // Not served yet: say so to the requester, which treats it as a temporary failure.
  proto::DeliveryReply reply;
  reply.set_id(request.id());
  for (const auto& r : request.recipients()) {
    auto* result = reply.add_results();
    result->set_index(r.index());
    result->set_outcome(proto::RecipientResult::DEFERRED);
    result->set_dsn_status("4.3.0");
    result->set_diagnostic("local delivery not available yet");
  }
  TERN_LOG_WARNING("request from pid %d not supported yet", static_cast<int>(peer.pid));
  server_.reply(peer.conn_id, reply);
}

}  // namespace tern::local

// SmtpDelivery: request dispatch.
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
      server_(context.loop, "smtp", [this](const ipc::Peer& peer, proto::DeliveryRequest request) {
        on_request(peer, std::move(request));
      }) {}

void SmtpDelivery::on_request(const ipc::Peer& peer, proto::DeliveryRequest request) {
  // Not served yet: say so to the requester, which treats it as a temporary failure.
  proto::DeliveryReply reply;
  reply.set_id(request.id());
  for (const auto& r : request.recipients()) {
    auto* result = reply.add_results();
    result->set_index(r.index());
    result->set_outcome(proto::RecipientResult::DEFERRED);
    result->set_dsn_status("4.3.0");
    result->set_diagnostic("smtp delivery not available yet");
  }
  TERN_LOG_WARNING("request from pid %d not supported yet", static_cast<int>(peer.pid));
  server_.reply(peer.conn_id, reply);
}

}  // namespace tern::smtp

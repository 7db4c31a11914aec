// LookupService: request dispatch.
#include "lookup/service.h"

#include "common/log/log.h"
#include "common/process/peer_policy.h"

namespace tern::lookup {

Result<std::unique_ptr<process::Service>> LookupService::create(process::ServiceContext& context) {
  std::unique_ptr<LookupService> service(new LookupService(context));
  int fd = context.fds.first("ipc");
  if (fd < 0) return fail("lookup: no IPC socket was handed over (run it from master)");
  if (auto listening = service->server_.listen(fd, process::trusted_peer_policy(context.config)); !listening) {
    return std::unexpected(listening.error());
  }
  return std::unique_ptr<process::Service>(std::move(service));
}

LookupService::LookupService(process::ServiceContext& context)
    : context_(context),
      server_(context.loop, "lookup", [this](const ipc::Peer& peer, proto::LookupRequest request) {
        on_request(peer, std::move(request));
      }) {}

void LookupService::on_request(const ipc::Peer& peer, proto::LookupRequest request) {
  // Not served yet: say so to the requester, which treats it as a temporary failure.
  proto::LookupReply reply;
  reply.set_id(request.id());
  reply.set_status(proto::DNS_TEMPFAIL);
  reply.set_error("lookup: request type not supported yet");
  TERN_LOG_WARNING("request from pid %d not supported yet", static_cast<int>(peer.pid));
  server_.reply(peer.conn_id, reply);
}

}  // namespace tern::lookup

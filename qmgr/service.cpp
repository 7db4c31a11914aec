// QueueManager: request dispatch.
#include "qmgr/service.h"

#include "common/log/log.h"
#include "common/process/peer_policy.h"

namespace tern::qmgr {

Result<std::unique_ptr<process::Service>> QueueManager::create(process::ServiceContext& context) {
  std::unique_ptr<QueueManager> service(new QueueManager(context));
  int fd = context.fds.first("ipc");
  if (fd < 0) return fail("qmgr: no IPC socket was handed over (run it from master)");
  if (auto listening = service->server_.listen(fd, process::trusted_peer_policy(context.config)); !listening) {
    return std::unexpected(listening.error());
  }
  return std::unique_ptr<process::Service>(std::move(service));
}

QueueManager::QueueManager(process::ServiceContext& context)
    : context_(context),
      server_(context.loop, "qmgr", [this](const ipc::Peer& peer, proto::QmgrRequest request) {
        on_request(peer, std::move(request));
      }) {}

void QueueManager::on_request(const ipc::Peer& peer, proto::QmgrRequest request) {
  // Not served yet: say so to the requester, which treats it as a temporary failure.
  proto::QmgrReply reply;
  reply.set_id(request.id());
  reply.set_ok(false);
  reply.set_error("qmgr: request type not supported yet");
  TERN_LOG_WARNING("request from pid %d not supported yet", static_cast<int>(peer.pid));
  server_.reply(peer.conn_id, reply);
}

}  // namespace tern::qmgr

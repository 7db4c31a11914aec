// QueueManager: qmgr's service object -- the queue: routing, scheduling, retries and bounces. Serves its private IPC socket
// (<spool>/private/qmgr) on the program's loop.
#pragma once

#include <memory>

#include "qmgr.pb.h"
#include "common/ipc/rpc_server.h"
#include "common/process/service.h"

namespace tern::qmgr {

class QueueManager : public process::Service {
 public:
  static Result<std::unique_ptr<process::Service>> create(process::ServiceContext& context);

 private:
  explicit QueueManager(process::ServiceContext& context);
  void on_request(const ipc::Peer& peer, proto::QmgrRequest request);

  process::ServiceContext& context_;
  ipc::RpcServer<proto::QmgrRequest> server_;
};

}  // namespace tern::qmgr

// LocalDelivery: local's service object -- local delivery: aliases, Maildir and mbox. Serves its private IPC socket
// (<spool>/private/local) on the program's loop.
#pragma once

#include <memory>

#include "delivery.pb.h"
#include "common/ipc/rpc_server.h"
#include "common/process/service.h"

namespace tern::local {

class LocalDelivery : public process::Service {
 public:
  static Result<std::unique_ptr<process::Service>> create(process::ServiceContext& context);

 private:
  explicit LocalDelivery(process::ServiceContext& context);
  void on_request(const ipc::Peer& peer, proto::DeliveryRequest request);

  process::ServiceContext& context_;
  ipc::RpcServer<proto::DeliveryRequest> server_;
};

}  // namespace tern::local

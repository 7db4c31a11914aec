// SmtpDelivery: smtp's service object -- outbound SMTP delivery. Serves its private IPC socket
// (<spool>/private/smtp) on the program's loop.
#pragma once

#include <memory>

#include "delivery.pb.h"
#include "common/ipc/rpc_server.h"
#include "common/process/service.h"

namespace tern::smtp {

class SmtpDelivery : public process::Service {
 public:
  static Result<std::unique_ptr<process::Service>> create(process::ServiceContext& context);

 private:
  explicit SmtpDelivery(process::ServiceContext& context);
  void on_request(const ipc::Peer& peer, proto::DeliveryRequest request);

  process::ServiceContext& context_;
  ipc::RpcServer<proto::DeliveryRequest> server_;
};

}  // namespace tern::smtp

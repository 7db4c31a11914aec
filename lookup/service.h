// LookupService: lookup's service object -- DNS, credential checks and table look-ups. Serves its private IPC socket
// (<spool>/private/lookup) on the program's loop.
#pragma once

#include <memory>

#include "lookup.pb.h"
#include "common/ipc/rpc_server.h"
#include "common/process/service.h"

namespace tern::lookup {

class LookupService : public process::Service {
 public:
  static Result<std::unique_ptr<process::Service>> create(process::ServiceContext& context);

 private:
  explicit LookupService(process::ServiceContext& context);
  void on_request(const ipc::Peer& peer, proto::LookupRequest request);

  process::ServiceContext& context_;
  ipc::RpcServer<proto::LookupRequest> server_;
};

}  // namespace tern::lookup

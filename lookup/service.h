// LookupService: lookup's service object (DESIGN.md §1) -- serves LookupRequest on its
// private IPC socket (<spool>/private/lookup): recipient routing (resolve, recipient), table
// queries, SMTP AUTH credential checks and DNS (mx, address, tlsa). Everything runs on the
// program's loop; DNS and password hashing go to libuv's work pool. A request that cannot be
// answered gets a reply with status DNS_TEMPFAIL and an error text, never silence.
#pragma once

#include <memory>

#include "common/ipc/rpc_server.h"
#include "common/process/service.h"
#include "common/tables/router.h"
#include "common/tables/table_cache.h"
#include "lookup.pb.h"
#include "lookup/credentials.h"
#include "lookup/dns_service.h"

namespace tern::lookup {

class LookupService : public process::Service {
 public:
  static Result<std::unique_ptr<process::Service>> create(process::ServiceContext& context);
  void reload(const config::Config& config) override;

 private:
  explicit LookupService(process::ServiceContext& context);
  void on_request(const ipc::Peer& peer, proto::LookupRequest request);
  void on_resolve(const ipc::Peer& peer, const proto::LookupRequest& request);
  void on_recipient(const ipc::Peer& peer, const proto::LookupRequest& request);
  void on_table(const ipc::Peer& peer, const proto::LookupRequest& request);
  void on_credentials(const ipc::Peer& peer, proto::LookupRequest& request);
  void on_unknown(const ipc::Peer& peer, const proto::LookupRequest& request);

  process::ServiceContext& context_;
  config::Config config_;
  tables::TableCache tables_;
  tables::SystemUserDb users_;
  tables::RouterSettings router_settings_;
  CredentialChecker credentials_;
  DnsService dns_;
  ipc::RpcServer<proto::LookupRequest> server_;
};

}  // namespace tern::lookup

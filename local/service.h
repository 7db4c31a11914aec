// LocalDelivery: local's service object -- aliases, Maildir and mbox delivery for qmgr.
// Serves its private IPC socket (<spool>/private/local) on the program's loop: each
// DeliveryRequest's recipients are delivered in parallel: virtual Maildirs on the work pool
// (pooled_delivery.h; at most kMaxPooled at once), everything else each in a forked child of
// its own (delivery_child.h; at most kMaxChildren at once); the rest wait in order, and the
// DeliveryReply -- one RecipientResult per recipient, in request order -- goes back once all
// are done. The loop itself never blocks on a mailbox.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>

#include "common/ipc/rpc_server.h"
#include "common/process/service.h"
#include "common/uv/signal.h"
#include "delivery.pb.h"
#include "local/delivery_child.h"
#include "local/recipient_delivery.h"

namespace tern::local {

inline constexpr size_t kMaxChildren = 20;
inline constexpr size_t kMaxPooled = 64;

class LocalDelivery : public process::Service {
 public:
  static Result<std::unique_ptr<process::Service>> create(process::ServiceContext& context);

  void reload(const config::Config& config) override;
  void shutdown(std::function<void()> done) override;

 private:
  struct Pending {  // one request waiting for its recipients
    uint64_t conn_id = 0;
    proto::DeliveryReply reply;
    size_t remaining = 0;
  };
  struct Job {  // one recipient waiting for a child
    uint64_t request = 0;
    int slot = 0;  // its place in the reply
    RecipientJob work;
  };

  explicit LocalDelivery(process::ServiceContext& context);
  void on_request(const ipc::Peer& peer, proto::DeliveryRequest request);
  void start_jobs();
  void start_pooled_jobs();
  void complete(uint64_t request, int slot, const RecipientJob& work, proto::RecipientResult result);
  void maybe_finish_shutdown();

  process::ServiceContext& context_;
  config::Config config_;
  std::shared_ptr<const config::Config> shared_config_;  // config_, for work-pool threads
  ipc::RpcServer<proto::DeliveryRequest> server_;
  uv::SignalWatcher sigchld_;
  std::map<uint64_t, Pending> pending_;
  std::deque<Job> waiting_;
  std::deque<Job> pool_waiting_;
  size_t pool_running_ = 0;
  std::map<uint64_t, std::unique_ptr<DeliveryChild>> running_;
  uint64_t last_request_ = 0;
  uint64_t last_child_ = 0;
  std::function<void()> shutdown_done_;
};

}  // namespace tern::local

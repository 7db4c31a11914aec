// QueueManager: qmgr's service object -- the queue (DESIGN.md §1, §4). Runs on the program's
// one loop; serves <spool>/private/qmgr (wake-ups from smtpd, queue administration from
// ternctl/mailq) and is a client of private/lookup, private/local and private/smtp.
//
// A queue run (at start, every queue_run_delay, and on a wake-up, coalesced) lists queue/,
// rebuilds each due message's state from its status records, routes its pending recipients
// through lookup and hands them to the Scheduler; jobs go to local or smtp. Every result is
// appended to the queue file (fdatasync) before qmgr acts on it; a message whose recipients are
// all done gets its DSNs queued and is then removed. Files that do not parse go to corrupt/.
// Errors from peers are deferrals; nothing a peer sends can crash qmgr.
//
// Files: service.cpp (set-up, requests, queue runs), attempt.cpp (routing and jobs),
// finish.cpp (deferral, expiry, notices, removal), admin.cpp (queue administration).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "common/ipc/rpc_client.h"
#include "common/ipc/rpc_server.h"
#include "common/process/service.h"
#include "common/spool/file_io.h"
#include "common/spool/queue_id.h"
#include "common/uv/timer.h"
#include "delivery.pb.h"
#include "lookup.pb.h"
#include "qmgr.pb.h"
#include "qmgr/free_files.h"
#include "qmgr/queue_state.h"
#include "qmgr/router.h"
#include "qmgr/scheduler.h"

namespace tern::qmgr {

class QueueManager : public process::Service {
 public:
  static Result<std::unique_ptr<process::Service>> create(process::ServiceContext& context);

  void reload(const config::Config& config) override;
  void shutdown(std::function<void()> done) override;

 private:
  // A message in delivery (Postfix's "active" queue).
  struct Active {
    MessageState state;
    int64_t active_since_us = 0;
    int lookups = 0;             // resolve calls outstanding
    size_t waiting = 0;          // recipients queued in the scheduler
    int running = 0;             // jobs sent to an agent
    bool deferred = false;       // a recipient was deferred in this attempt
    bool hold_requested = false;
    bool delete_requested = false;
    bool requeue_requested = false;  // try again as soon as this attempt ends
    // Announced by smtpd or pickup, read for the first time, nothing recorded in it: no agent
    // can have delivered any of it before (DeliveryRequest.first_attempt).
    bool first_attempt = false;
    std::map<uint32_t, RouteTarget> targets;  // routed recipients of this attempt
  };
  struct JobContext {
    Job job;
    int64_t started_us = 0;
  };

  explicit QueueManager(process::ServiceContext& context);
  Result<void> open_spool();
  void configure(const config::Config& config);

  // service.cpp
  void on_request(const ipc::Peer& peer, proto::QmgrRequest request);
  void on_wakeup(const ipc::Peer& peer, const proto::QmgrRequest& request);
  void request_run(bool force);
  void run_queue();
  // `announced`: smtpd or pickup just wrote it and told qmgr (a wake-up with its id).
  void consider(const std::string& queue_id, bool force, bool announced = false);
  void move_to_corrupt(const std::string& queue_id, const std::string& why);

  // attempt.cpp
  void activate(const std::string& queue_id, MessageState state, bool first_attempt);
  void route(const std::string& queue_id);                  // every pending recipient
  void resolve(const std::string& queue_id, uint32_t index);  // one, through lookup
  void on_resolved(const std::string& queue_id, uint32_t index, Result<proto::LookupReply> reply);
  void pump();
  void start_job(Job job);
  void on_job_done(const JobContext& context, Result<proto::DeliveryReply> reply);
  // Records one outcome durably, applies it, logs it. False when it could not be recorded.
  // Applies and logs one recipient's status; appends it to the queue file (durably) first
  // unless `durable` is false (see finishes_cleanly()).
  bool record(const std::string& queue_id, Active& message, proto::RecipientStatus status,
              int64_t job_started_us, bool durable = true);
  // True when this job's reply delivers every recipient the message still had open and no
  // success notice is wanted: the usual end of a message.
  static bool finishes_cleanly(const Active& message, const Job& job,
                               const proto::DeliveryReply& reply);
  void defer_recipient(const std::string& queue_id, Active& message, uint32_t index,
                       const std::string& dsn, const std::string& reason,
                       const std::string& relay, int64_t job_started_us);

  // finish.cpp
  void maybe_finish(const std::string& queue_id);
  void finish(const std::string& queue_id);
  void expire(const std::string& queue_id, Active& message);
  // Queues the DSNs that are due for this message; false when one could not be queued.
  bool send_notices(const std::string& queue_id, MessageState& state, bool delay_warning);
  // Takes a message's file out of queue/, logged: with `recycled_length` (done in the usual
  // way) to free/ when FreeFiles keeps it (free_files.h), else (deleted) unlinked.
  void remove_message(const std::string& queue_id, std::optional<uint64_t> recycled_length);

  // admin.cpp
  void on_admin(const ipc::Peer& peer, const proto::QmgrRequest& request);
  void admin_list(proto::QmgrReply& reply);
  void admin_show(const proto::QueueAdmin& admin, proto::QmgrReply& reply);
  void admin_each(const proto::QueueAdmin& admin, proto::QmgrReply& reply);
  // Where a message is: "queue", "hold", or "" when neither.
  std::string locate(const std::string& queue_id) const;
  bool admin_one(proto::QueueAdmin::Op op, const std::string& queue_id, const std::string& dir);

  process::ServiceContext& context_;
  spool::SystemClock clock_;
  spool::QueueIdGenerator ids_;
  Scheduler scheduler_;
  ipc::RpcServer<proto::QmgrRequest> server_;
  ipc::RpcClient<proto::LookupRequest, proto::LookupReply> lookup_;
  ipc::RpcClient<proto::DeliveryRequest, proto::DeliveryReply> local_;
  ipc::RpcClient<proto::DeliveryRequest, proto::DeliveryReply> smtp_;
  spool::UniqueFd spool_fd_;
  spool::UniqueFd queue_fd_;
  std::optional<FreeFiles> free_files_;  // from open_spool()
  uv::Timer run_timer_;          // every queue_run_delay
  uv::Timer wake_timer_;         // coalesces wake-ups into one run
  bool run_forced_ = false;      // the coming run retries deferred mail now (flush)
  std::set<std::string> force_ids_;          // released/requeued: try at the next run
  std::map<std::string, int64_t> not_before_; // deferred messages: when each is due
  std::map<std::string, Active> active_;
  std::map<uint64_t, JobContext> jobs_;
  bool stopping_ = false;
  bool soft_bounce_ = false;
  uint64_t queue_run_delay_ms_ = 300'000;
  uint64_t agent_timeout_ms_ = 1'800'000;
  uint64_t lookup_timeout_ms_ = 60'000;
};

}  // namespace tern::qmgr

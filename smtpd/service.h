// SmtpServer: smtpd's service object (DESIGN.md §1). It owns the listeners master handed
// over (roles smtp, submission, smtps: TCP; submit: the local submission unix socket), the
// connections and their limits (smtpd_connection_limit in total, and
// smtpd_client_connection_count_limit per client address: 421 4.7.0), and what connections
// share: the Settings, the TLS context (rebuilt on reload), the lookup and qmgr clients, the
// queue-id generator, the spool directory and one read buffer. Runs on the loop thread.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/ipc/rpc_client.h"
#include "common/process/service.h"
#include "common/spool/shared_directory_sync.h"
#include "common/spool/file_io.h"
#include "common/spool/queue_id.h"
#include "common/spool/recycled_files.h"
#include "common/tls/tls_session.h"
#include "common/uv/handle.h"
#include "common/uv/timer.h"
#include "lookup.pb.h"
#include "qmgr.pb.h"
#include "smtpd/connection.h"
#include "smtpd/settings.h"

namespace tern::smtpd {

class SmtpServer : public process::Service {
 public:
  static Result<std::unique_ptr<process::Service>> create(process::ServiceContext& context);
  ~SmtpServer() override;
  void reload(const config::Config& config) override;
  void shutdown(std::function<void()> done) override;

  // For connections.
  uv_loop_t* loop() const { return context_.loop; }
  char* read_buffer() { return read_buffer_.get(); }
  static constexpr size_t kReadBufferSize = 64 * 1024;
  ipc::RpcClient<proto::LookupRequest, proto::LookupReply>& lookup_client() { return lookup_; }
  int spool_dirfd() const { return spool_dir_.get(); }
  // Queue files may be written unnamed and linked into queue/: /proc/self/fd is there, and
  // the spool's file system makes a linked file's name durable with the file's fsync.
  bool unnamed_queue_files() const { return unnamed_queue_files_; }
  // Group commit of queue/ (the rename that publishes an accepted message).
  // Thread-safe: commits on the work pool share its fsyncs.
  spool::SharedDirectorySync& queue_sync() { return *queue_sync_; }
  // Finished queue files in free/ to write again (recycled_files.h); null without free/.
  spool::RecycledFiles* recycled_files() { return recycled_files_.get(); }
  // Claims more of them on the work pool when few are left (called after each create).
  void maybe_refill_recycled_files();
  std::string new_queue_id() { return ids_.next(); }
  int64_t now_us() { return clock_.now_us(); }
  // A message was accepted: qmgr hears of it (ids batched per loop turn).
  void wake_qmgr(const std::string& queue_id);
  // The connection is done: destroyed on the next loop turn.
  void release(Connection* connection);

 private:
  struct Listener {
    SmtpServer* owner = nullptr;
    Role role = Role::kSmtp;
    uv::UvHandle<uv_tcp_t> tcp;
    uv::UvHandle<uv_pipe_t> pipe;
  };

  explicit SmtpServer(process::ServiceContext& context);
  Result<void> listen_tcp(int fd, Role role);
  Result<void> listen_local(int fd);
  static void on_tcp_connection(uv_stream_t* server, int status);
  static void on_local_connection(uv_stream_t* server, int status);
  void accept_tcp(Listener& listener);
  void accept_local(Listener& listener);
  void refuse(uv::UvHandle<uv_tcp_t> client, const std::string& why);
  void add(std::unique_ptr<Connection> connection);
  void load_tls(const Settings& settings);
  void reap();

  process::ServiceContext& context_;
  std::shared_ptr<const Settings> settings_;
  std::shared_ptr<tls::TlsContext> tls_context_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;
  std::unordered_map<std::string, int> per_client_;
  std::vector<Connection*> doomed_;
  uv::Timer reaper_;
  std::unique_ptr<char[]> read_buffer_;
  ipc::RpcClient<proto::LookupRequest, proto::LookupReply> lookup_;
  ipc::RpcClient<proto::QmgrRequest, proto::QmgrReply> qmgr_;
  void send_wakeup();

  spool::UniqueFd spool_dir_;
  spool::UniqueFd queue_dir_;
  bool unnamed_queue_files_ = false;
  std::unique_ptr<spool::SharedDirectorySync> queue_sync_;
  std::shared_ptr<spool::RecycledFiles> recycled_files_;  // shared with a running refill
  std::vector<std::string> accepted_ids_;  // not yet told to qmgr
  uv::Timer wakeup_timer_;
  spool::SystemClock clock_;
  spool::QueueIdGenerator ids_;
  std::function<void()> shutdown_done_;
};

}  // namespace tern::smtpd

// Connection: one client socket (TCP, or the local submission unix socket) carrying one
// Session. Bytes flow socket -> (optional TlsSession) -> Session, and replies back the same
// way. It implements SessionHost: writes, the idle timer (smtpd_timeout), look-ups through
// the server's lookup client, queue-file commits in libuv's work pool.
//
// Lifetime: owned by SmtpServer. close() flushes pending writes and then asks the server to
// destroy the connection on a later loop turn (never from inside a callback). Callbacks that
// outlive it (a look-up reply, a commit) hold a weak token and do nothing once it is gone.
// Memory while idle: the handles, the session's small strings; reads use the server's
// shared buffer.
#pragma once

#include <uv.h>

#include <memory>
#include <string>

#include "common/tls/tls_session.h"
#include "common/uv/handle.h"
#include "common/uv/timer.h"
#include "smtpd/session.h"

namespace tern::smtpd {

class SmtpServer;
struct CommitWork;

class Connection final : public SessionHost {
 public:
  // Takes an accepted handle: exactly one of tcp / pipe is set.
  Connection(SmtpServer& server, uv::UvHandle<uv_tcp_t> tcp, uv::UvHandle<uv_pipe_t> pipe,
             ClientIdentity client, std::shared_ptr<const Settings> settings,
             std::shared_ptr<tls::TlsContext> tls_context);
  ~Connection() override;

  void start();
  void shutdown();  // master is stopping
  const ClientIdentity& client() const { return client_; }

  // SessionHost
  void send(std::string_view bytes) override;
  void close() override;
  void set_reading(bool reading) override;
  bool start_tls() override;
  void lookup(proto::LookupRequest request, std::function<void(Result<proto::LookupReply>)> done) override;
  void after(uint64_t ms, std::function<void()> fn) override;
  std::string new_queue_id() override;
  Result<spool::QueueFileWriter> create_queue_file(const proto::Envelope& envelope) override;
  void commit(spool::QueueFileWriter writer, std::function<void(Result<void>)> done) override;
  void accepted(const std::string& queue_id) override;
  int64_t now_us() override;

 private:
  uv_stream_t* stream() const;
  static void answer(std::unique_ptr<CommitWork> work);
  static void on_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void on_write(uv_write_t* req, int status);
  void received(std::string_view bytes);
  void write_raw(std::string bytes);
  void tls_failed(const std::string& why);
  void arm_idle_timer();
  void finish();

  SmtpServer& server_;
  uv::UvHandle<uv_tcp_t> tcp_;
  uv::UvHandle<uv_pipe_t> pipe_;
  ClientIdentity client_;
  std::shared_ptr<const Settings> settings_;
  std::shared_ptr<tls::TlsContext> tls_context_;
  std::unique_ptr<tls::TlsSession> tls_;
  std::string tls_pending_plain_;  // replies queued before the handshake finished (smtps)
  uv::Timer idle_timer_;
  std::unique_ptr<uv::Timer> delay_timer_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  std::unique_ptr<Session> session_;
  size_t writes_in_flight_ = 0;
  // Reading: the session wants input (reading_), and libuv reads the socket (uv_reading_). A
  // pause asked by the session stops libuv only once kMaxHeldInput bytes came in meanwhile:
  // most pauses last a look-up or a commit, and a stop and a start cost two epoll_ctl calls.
  void update_reading();
  bool reading_ = false;
  bool uv_reading_ = false;
  bool write_backlog_ = false;  // replies pile up unread by the client: stop reading
  size_t held_input_ = 0;       // bytes handed to the session during its pause
  bool end_held_ = false;       // EOF or an error came during the pause: read again after it
  bool closing_ = false;
  bool finished_ = false;
};

}  // namespace tern::smtpd

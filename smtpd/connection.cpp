// Connection: socket, TLS and timers around one Session (see connection.h).
#include "smtpd/connection.h"

#include <utility>

#include "common/log/log.h"
#include "common/uv/write_now.h"
#include "smtpd/service.h"

namespace tern::smtpd {
namespace {

constexpr uint64_t kLookupTimeoutMs = 10000;
constexpr size_t kMaxWriteBacklog = 256 * 1024;  // stop reading while replies pile up
constexpr size_t kMaxHeldInput = 64 * 1024;      // read on during a session's pause up to this

struct WriteRequest {
  uv_write_t req;
  std::string bytes;
};

}  // namespace

struct CommitWork {
  uv_work_t req;
  std::optional<spool::QueueFileWriter> writer;
  Result<void> result;
  std::weak_ptr<int> alive;
  SmtpServer* server;
  std::string queue_id;
  std::function<void(Result<void>)> done;
};

namespace {

// The whole commit, on a work-pool thread: contents durable, renamed into queue/, and the
// rename durable through an fsync of queue/ shared with every other commit waiting for one.
void write_and_publish(CommitWork& work) {
  work.result = work.writer->finish_and_sync();
  if (work.result) work.result = work.writer->publish();
  if (!work.result || !work.writer->needs_directory_sync()) return;
  if (auto synced = work.server->queue_sync().sync(); !synced) {
    // Not durable, so not accepted: withdraw the file rather than deliver what the client
    // will send again.
    work.writer->abort();
    work.result = std::unexpected(synced.error());
  }
}

}  // namespace

Connection::Connection(SmtpServer& server, uv::UvHandle<uv_tcp_t> tcp, uv::UvHandle<uv_pipe_t> pipe,
                       ClientIdentity client, std::shared_ptr<const Settings> settings,
                       std::shared_ptr<tls::TlsContext> tls_context)
    : server_(server),
      tcp_(std::move(tcp)),
      pipe_(std::move(pipe)),
      client_(std::move(client)),
      settings_(std::move(settings)),
      tls_context_(std::move(tls_context)),
      idle_timer_(server.loop()) {
  stream()->data = this;
  session_ = std::make_unique<Session>(*this, settings_, client_,
                                       tls_context_ != nullptr && client_.role != Role::kLocal &&
                                           client_.role != Role::kSmtps);
}

Connection::~Connection() {
  alive_.reset();
  session_.reset();  // logs the disconnect line
}

uv_stream_t* Connection::stream() const { return tcp_ ? tcp_.stream() : pipe_.stream(); }

void Connection::start() {
  set_reading(true);
  arm_idle_timer();
  if (client_.role == Role::kSmtps) {
    if (tls_context_ == nullptr) {
      TERN_LOG_WARNING("smtps connection from %s but no TLS certificate is configured", client_.log_name().c_str());
      finish();
      return;
    }
    tls_ = tls::new_server_session(tls_context_);
  }
  session_->start();  // on smtps the greeting waits in tls_pending_plain_ for the handshake
}

void Connection::shutdown() { session_->on_shutdown(); }

// --- input ---------------------------------------------------------------------------------

void Connection::on_alloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* self = static_cast<Connection*>(handle->data);
  if (self == nullptr) {
    *buf = uv_buf_init(nullptr, 0);
    return;
  }
  *buf = uv_buf_init(self->server_.read_buffer(), SmtpServer::kReadBufferSize);
}

void Connection::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<Connection*>(stream->data);
  if (self == nullptr || self->finished_) return;
  if (nread < 0 && !self->reading_) {
    // The end came while the session still holds input it has not processed (a pipelined
    // batch ending in QUIT and EOF, say): read again when it resumes, and the end (which a
    // socket reports again) comes after that input.
    self->end_held_ = true;
    self->update_reading();
    return;
  }
  if (nread < 0) {
    self->session_->on_disconnect();
    self->finish();
    return;
  }
  if (nread == 0) return;
  if (!self->reading_) {
    self->held_input_ += static_cast<size_t>(nread);
    self->update_reading();
  }
  self->arm_idle_timer();
  self->received(std::string_view(buf->base, static_cast<size_t>(nread)));
}

void Connection::received(std::string_view bytes) {
  if (closing_) return;
  if (tls_ == nullptr) {
    session_->on_input(bytes);
    return;
  }
  bool was_done = tls_->handshake_done();
  std::string plain, to_peer;
  auto fed = tls_->feed(bytes, &plain, &to_peer);
  if (!to_peer.empty()) write_raw(std::move(to_peer));
  if (!fed) {
    tls_failed(fed.error().message);
    return;
  }
  if (!was_done && tls_->handshake_done()) {
    TERN_LOG_INFO("%s TLS connection established from %s: %s with cipher %s (%d/%d bits)",
                  client_.role == Role::kSmtps ? "Anonymous" : "Anonymous", client_.log_name().c_str(),
                  tls_->version().c_str(), tls_->cipher().c_str(), tls_->cipher_bits(), tls_->cipher_bits());
    session_->tls_established(tls_->version(), tls_->cipher(), tls_->cipher_bits());
    if (!tls_pending_plain_.empty()) send(std::exchange(tls_pending_plain_, std::string()));
  }
  if (!plain.empty() && !closing_) session_->on_input(plain);
}

void Connection::tls_failed(const std::string& why) {
  TERN_LOG_WARNING("TLS library problem: %s from %s", why.c_str(), client_.log_name().c_str());
  session_->on_disconnect();
  finish();
}

void Connection::arm_idle_timer() {
  uint64_t ms = settings_->timeout_ms;
  if (tls_ != nullptr && !tls_->handshake_done()) ms = std::min(ms, settings_->starttls_timeout_ms);
  idle_timer_.start(ms, [this] { session_->on_timeout(); });
}

void Connection::set_reading(bool reading) {
  if (reading == reading_ || finished_) return;
  reading_ = reading;
  held_input_ = 0;
  end_held_ = false;
  update_reading();
}

void Connection::update_reading() {
  if (finished_) return;
  bool read = !closing_ && !write_backlog_ && (reading_ || (held_input_ < kMaxHeldInput && !end_held_));
  if (read == uv_reading_) return;
  uv_reading_ = read;
  if (read) {
    uv_read_start(stream(), &Connection::on_alloc, &Connection::on_read);
  } else {
    uv_read_stop(stream());
  }
}

// --- output --------------------------------------------------------------------------------

void Connection::send(std::string_view bytes) {
  if (finished_) return;
  if (tls_ == nullptr) {
    write_raw(std::string(bytes));
    return;
  }
  if (!tls_->handshake_done()) {
    tls_pending_plain_.append(bytes);
    return;
  }
  std::string records;
  if (auto r = tls_->write(bytes, &records); !r) {
    tls_failed(r.error().message);
    return;
  }
  write_raw(std::move(records));
}

void Connection::write_raw(std::string bytes) {
  if (finished_ || bytes.empty()) return;
  uv_buf_t now = uv_buf_init(bytes.data(), static_cast<unsigned>(bytes.size()));
  size_t done = uv::write_now(stream(), &now, 1);
  if (done == bytes.size()) return;
  auto* w = new WriteRequest;
  w->bytes = bytes.substr(done);
  uv_buf_t buf = uv_buf_init(w->bytes.data(), static_cast<unsigned>(w->bytes.size()));
  if (uv_write(&w->req, stream(), &buf, 1, &Connection::on_write) != 0) {
    delete w;
    return;
  }
  ++writes_in_flight_;
  if (stream()->write_queue_size > kMaxWriteBacklog && !write_backlog_) {
    write_backlog_ = true;
    update_reading();
  }
}

void Connection::on_write(uv_write_t* req, int status) {
  auto* w = reinterpret_cast<WriteRequest*>(req);
  auto* self = static_cast<Connection*>(req->handle->data);
  delete w;
  if (self == nullptr) return;
  --self->writes_in_flight_;
  if (status < 0 && !self->finished_) {
    self->session_->on_disconnect();
    self->finish();
    return;
  }
  if (self->write_backlog_ && self->stream()->write_queue_size <= kMaxWriteBacklog / 2) {
    self->write_backlog_ = false;
    self->update_reading();
  }
  if (self->closing_ && self->writes_in_flight_ == 0) self->finish();
}

void Connection::close() {
  if (closing_) return;
  closing_ = true;
  idle_timer_.stop();
  delay_timer_.reset();
  reading_ = false;
  update_reading();
  if (tls_ != nullptr && tls_->handshake_done()) {
    std::string alert;
    tls_->shutdown(&alert);
    write_raw(std::move(alert));
  }
  if (writes_in_flight_ == 0) finish();
}

// Stops everything and hands the connection back to the server for destruction.
void Connection::finish() {
  if (finished_) return;
  finished_ = true;
  closing_ = true;
  idle_timer_.stop();
  delay_timer_.reset();
  tcp_.reset();
  pipe_.reset();
  server_.release(this);
}

// --- services for the session --------------------------------------------------------------

bool Connection::start_tls() {
  if (tls_context_ == nullptr || tls_ != nullptr) return false;
  tls_ = tls::new_server_session(tls_context_);
  arm_idle_timer();
  return tls_ != nullptr;
}

void Connection::lookup(proto::LookupRequest request, std::function<void(Result<proto::LookupReply>)> done) {
  std::weak_ptr<int> alive = alive_;
  server_.lookup_client().call(std::move(request), kLookupTimeoutMs,
                               [alive, done = std::move(done)](Result<proto::LookupReply> reply) {
                                 if (alive.lock()) done(std::move(reply));
                               });
}

void Connection::after(uint64_t ms, std::function<void()> fn) {
  delay_timer_ = std::make_unique<uv::Timer>(server_.loop());
  delay_timer_->start(ms, std::move(fn));
}

std::string Connection::new_queue_id() { return server_.new_queue_id(); }

int64_t Connection::now_us() { return server_.now_us(); }

// A finished message's file from free/ is taken whenever there is one: it costs no inode to
// allocate and none to free (on ext4 without a journal every creation scans past the inodes
// freed in the last minutes), and a small one is renamed into queue/ before its single fsync,
// as an unnamed file is linked (queue_writer.h). A file found larger than kWholeReadLimit at
// the end is fsynced under its claimed name and needs the shared fsync of queue/ after it.
Result<spool::QueueFileWriter> Connection::create_queue_file(const proto::Envelope& envelope) {
  spool::RecycledFiles* recycled = server_.recycled_files();
  auto writer = spool::QueueFileWriter::create(server_.spool_dirfd(), envelope.queue_id(), envelope,
                                               server_.unnamed_queue_files(), recycled);
  if (recycled) server_.maybe_refill_recycled_files();
  return writer;
}

// Commits run in the work pool, many at once (write_and_publish); only after one has
// finished is its message accepted.
void Connection::commit(spool::QueueFileWriter writer, std::function<void(Result<void>)> done) {
  auto* work = new CommitWork;
  work->req.data = work;
  work->queue_id = writer.queue_id();
  work->writer.emplace(std::move(writer));
  work->alive = alive_;
  work->server = &server_;
  work->done = std::move(done);
  int rc = uv_queue_work(
      server_.loop(), &work->req,
      [](uv_work_t* req) { write_and_publish(*static_cast<CommitWork*>(req->data)); },
      [](uv_work_t* req, int) { answer(std::unique_ptr<CommitWork>(static_cast<CommitWork*>(req->data))); });
  if (rc != 0) {  // no work pool: do it here
    write_and_publish(*work);
    answer(std::unique_ptr<CommitWork>(work));
  }
}

void Connection::answer(std::unique_ptr<CommitWork> w) {
  if (w->alive.lock()) {
    w->done(std::move(w->result));
  } else if (w->result) {
    // The client left before the reply; the message is accepted all the same.
    TERN_LOG_INFO("%s: committed after the client disconnected", w->queue_id.c_str());
    w->server->wake_qmgr(w->queue_id);
  }
}

void Connection::accepted(const std::string& queue_id) { server_.wake_qmgr(queue_id); }

}  // namespace tern::smtpd

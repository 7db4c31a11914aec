// SmtpServer: listeners, connection limits and shared resources (see service.h).
#include "smtpd/service.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>

#include "common/log/log.h"
#include "common/smtp/reply.h"
#include "common/spool/layout.h"

namespace tern::smtpd {
namespace {

constexpr uint64_t kWakeupTimeoutMs = 5000;

// "192.0.2.1" and the port of a TCP peer.
bool peer_of(uv_tcp_t* tcp, std::string* address, uint32_t* port) {
  sockaddr_storage ss{};
  int len = sizeof ss;
  if (uv_tcp_getpeername(tcp, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return false;
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
    *port = ntohs(in->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
    *port = ntohs(in6->sin6_port);
    std::string text = buf;
    if (text.rfind("::ffff:", 0) == 0 && text.find('.') != std::string::npos) {
      *address = text.substr(7);
      return true;
    }
  } else {
    return false;
  }
  *address = buf;
  return true;
}

// Names Tern does not know: said once now, and again (451 4.3.5) when a command meets them.
void warn_restriction_problems(const Settings& settings) {
  for (const std::string& problem : settings.restriction_problems) {
    TERN_LOG_WARNING("%s; commands that reach it get 451 4.3.5 Server configuration error", problem.c_str());
  }
  for (const std::string& warning : settings.content_check_warnings) TERN_LOG_WARNING("%s", warning.c_str());
}

}  // namespace

SmtpServer::SmtpServer(process::ServiceContext& context)
    : context_(context),
      reaper_(context.loop),
      read_buffer_(new char[kReadBufferSize]),
      lookup_(context.loop, "private/lookup", "lookup"),
      qmgr_(context.loop, "private/qmgr", "qmgr"),
      wakeup_timer_(context.loop),
      ids_(clock_, getpid()) {}

SmtpServer::~SmtpServer() { connections_.clear(); }

// Thousands of idle clients need thousands of descriptors: take the hard limit.
void raise_descriptor_limit() {
  struct rlimit rl {};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

void SmtpServer::maybe_refill_recycled_files() {
  if (!recycled_files_ || !recycled_files_->wants_refill()) return;
  struct RefillWork {
    uv_work_t req{};
    std::shared_ptr<spool::RecycledFiles> files;
  };
  auto* work = new RefillWork{{}, recycled_files_};
  work->req.data = work;
  int rc = uv_queue_work(
      context_.loop, &work->req, [](uv_work_t* req) { static_cast<RefillWork*>(req->data)->files->refill(); },
      [](uv_work_t* req, int) { delete static_cast<RefillWork*>(req->data); });
  if (rc != 0) {  // no work pool: here, then
    work->files->refill();
    delete work;
  }
}

Result<std::unique_ptr<process::Service>> SmtpServer::create(process::ServiceContext& context) {
  raise_descriptor_limit();
  std::unique_ptr<SmtpServer> server(new SmtpServer(context));
  auto settings = Settings::from_config(context.config);
  if (!settings) return std::unexpected(settings.error());
  server->settings_ = *settings;
  warn_restriction_problems(**settings);
  server->load_tls(**settings);
  int dirfd = ::open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) return fail_errno("open spool directory", errno);
  server->spool_dir_.reset(dirfd);
  server->unnamed_queue_files_ =
      ::access("/proc/self/fd", X_OK) == 0 && spool::file_fsync_persists_new_names(dirfd);
  auto queue_dir = spool::open_directory(dirfd, spool::kQueueDir);
  if (!queue_dir) return std::unexpected(queue_dir.error());
  server->queue_dir_ = std::move(*queue_dir);
  server->queue_sync_ = std::make_unique<spool::SharedDirectorySync>(server->queue_dir_.get());
  if (auto recycled = spool::RecycledFiles::open(dirfd)) {
    server->recycled_files_ = std::move(*recycled);
  } else {
    TERN_LOG_WARNING("queue files are not recycled: %s", recycled.error().message.c_str());
  }
  const std::pair<const char*, Role> roles[] = {
      {"smtp", Role::kSmtp}, {"submission", Role::kSubmission}, {"smtps", Role::kSmtps}};
  for (const auto& [name, role] : roles) {
    for (int fd : context.fds.with_role(name)) {
      if (auto ok = server->listen_tcp(fd, role); !ok) return std::unexpected(ok.error());
    }
  }
  for (int fd : context.fds.with_role("submit")) {
    if (auto ok = server->listen_local(fd); !ok) return std::unexpected(ok.error());
  }
  return std::unique_ptr<process::Service>(std::move(server));
}

void SmtpServer::load_tls(const Settings& settings) {
  if (!settings.tls_configured()) {
    tls_context_.reset();
    return;
  }
  auto context = tls::make_server_context({settings.tls_cert_file, settings.tls_key_file});
  if (!context) {
    // Keep serving without TLS (or with the old certificate): a bad file is the admin's to fix.
    TERN_LOG_WARNING("cannot load TLS certificate: %s", context.error().message.c_str());
    return;
  }
  tls_context_ = std::move(*context);
}

void SmtpServer::reload(const config::Config& config) {
  auto settings = Settings::from_config(config);
  if (!settings) {
    TERN_LOG_WARNING("reload: %s; keeping the old settings", settings.error().message.c_str());
    return;
  }
  settings_ = *settings;
  warn_restriction_problems(*settings_);
  load_tls(*settings_);  // new connections get the new certificate
}

Result<void> SmtpServer::listen_tcp(int fd, Role role) {
  auto listener = std::make_unique<Listener>();
  listener->owner = this;
  listener->role = role;
  auto* raw = new uv_tcp_t;
  uv_tcp_init(context_.loop, raw);
  listener->tcp = uv::UvHandle<uv_tcp_t>(raw);
  if (int rc = uv_tcp_open(raw, fd); rc != 0) return fail(std::string("uv_tcp_open: ") + uv_strerror(rc));
  // Replies go out at once, without Nagle's delay. Linux copies TCP_NODELAY from the listening
  // socket to every socket accept() returns: set here, it costs no call per connection.
  uv_tcp_nodelay(raw, 1);
  raw->data = listener.get();
  if (int rc = uv_listen(listener->tcp.stream(), 4096, &SmtpServer::on_tcp_connection); rc != 0)
    return fail(std::string("listen: ") + uv_strerror(rc));
  listeners_.push_back(std::move(listener));
  return {};
}

Result<void> SmtpServer::listen_local(int fd) {
  auto listener = std::make_unique<Listener>();
  listener->owner = this;
  listener->role = Role::kLocal;
  auto* raw = new uv_pipe_t;
  uv_pipe_init(context_.loop, raw, 0);
  listener->pipe = uv::UvHandle<uv_pipe_t>(raw);
  if (int rc = uv_pipe_open(raw, fd); rc != 0) return fail(std::string("uv_pipe_open: ") + uv_strerror(rc));
  raw->data = listener.get();
  if (int rc = uv_listen(listener->pipe.stream(), 128, &SmtpServer::on_local_connection); rc != 0)
    return fail(std::string("listen: ") + uv_strerror(rc));
  listeners_.push_back(std::move(listener));
  return {};
}

// A listening handle's data is its Listener, which knows its server.
void SmtpServer::on_tcp_connection(uv_stream_t* server, int status) {
  auto* listener = static_cast<Listener*>(server->data);
  if (listener == nullptr || status != 0) return;
  listener->owner->accept_tcp(*listener);
}

void SmtpServer::on_local_connection(uv_stream_t* server, int status) {
  auto* listener = static_cast<Listener*>(server->data);
  if (listener == nullptr || status != 0) return;
  listener->owner->accept_local(*listener);
}

void SmtpServer::accept_tcp(Listener& listener) {
  auto* raw = new uv_tcp_t;
  uv_tcp_init(context_.loop, raw);
  uv::UvHandle<uv_tcp_t> client(raw);
  if (uv_accept(listener.tcp.stream(), client.stream()) != 0) return;
  ClientIdentity id;
  id.role = listener.role;
  if (!peer_of(raw, &id.address, &id.port)) return;
  const Settings& s = *settings_;
  if (s.connection_limit > 0 && static_cast<int>(connections_.size()) >= s.connection_limit) {
    TERN_LOG_WARNING("Connection limit exceeded: %zu connections, refusing %s for service %s",
                     connections_.size(), id.log_name().c_str(), role_name(id.role));
    refuse(std::move(client), smtp::format_reply(421, "4.7.0", s.myhostname + " Error: too many connections"));
    return;
  }
  int& count = per_client_[id.address];
  if (s.client_connection_count_limit > 0 && count >= s.client_connection_count_limit &&
      !s.limit_exceptions.contains(id.address)) {
    TERN_LOG_WARNING("Connection concurrency limit exceeded: %d from %s for service %s", count + 1,
                     id.log_name().c_str(), role_name(id.role));
    if (count == 0) per_client_.erase(id.address);
    refuse(std::move(client),
           smtp::format_reply(421, "4.7.0", s.myhostname + " Error: too many connections from " + id.address));
    return;
  }
  ++count;
  add(std::make_unique<Connection>(*this, std::move(client), uv::UvHandle<uv_pipe_t>(), std::move(id), settings_,
                                   tls_context_));
}

void SmtpServer::accept_local(Listener& listener) {
  auto* raw = new uv_pipe_t;
  uv_pipe_init(context_.loop, raw, 0);
  uv::UvHandle<uv_pipe_t> client(raw);
  if (uv_accept(listener.pipe.stream(), client.stream()) != 0) return;
  uv_os_fd_t fd = -1;
  uv_fileno(client.handle(), &fd);
  struct ucred cred {};
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return;
  ClientIdentity id;
  id.role = Role::kLocal;
  id.hostname = "localhost";
  id.local_uid = cred.uid;
  add(std::make_unique<Connection>(*this, uv::UvHandle<uv_tcp_t>(), std::move(client), std::move(id), settings_,
                                   nullptr));
}

// Says why and closes, without a session.
void SmtpServer::refuse(uv::UvHandle<uv_tcp_t> client, const std::string& reply) {
  uv_buf_t buf = uv_buf_init(const_cast<char*>(reply.data()), static_cast<unsigned>(reply.size()));
  uv_try_write(client.stream(), &buf, 1);
  // client closes as it goes out of scope
}

void SmtpServer::add(std::unique_ptr<Connection> connection) {
  Connection* raw = connection.get();
  connections_.emplace(raw, std::move(connection));
  raw->start();
}

void SmtpServer::release(Connection* connection) {
  doomed_.push_back(connection);
  if (!reaper_.active()) reaper_.start(0, [this] { reap(); });
}

void SmtpServer::reap() {
  std::vector<Connection*> doomed = std::move(doomed_);
  doomed_.clear();
  for (Connection* c : doomed) {
    auto it = connections_.find(c);
    if (it == connections_.end()) continue;
    if (c->client().role != Role::kLocal) {
      auto pc = per_client_.find(c->client().address);
      if (pc != per_client_.end() && --pc->second <= 0) per_client_.erase(pc);
    }
    connections_.erase(it);
  }
  if (shutdown_done_ && connections_.empty()) std::exchange(shutdown_done_, nullptr)();
}

void SmtpServer::wake_qmgr(const std::string& queue_id) {
  accepted_ids_.push_back(queue_id);
  if (!wakeup_timer_.active()) wakeup_timer_.start(0, [this] { send_wakeup(); });
}

void SmtpServer::send_wakeup() {
  proto::QmgrRequest request;
  for (std::string& id : accepted_ids_) request.mutable_wakeup()->add_queue_ids(std::move(id));
  accepted_ids_.clear();
  // A lost wake-up costs only time: qmgr also runs the whole queue every queue_run_delay.
  qmgr_.call(std::move(request), kWakeupTimeoutMs, [](Result<proto::QmgrReply>) {});
}

void SmtpServer::shutdown(std::function<void()> done) {
  listeners_.clear();
  if (connections_.empty()) {
    done();
    return;
  }
  shutdown_done_ = std::move(done);
  std::vector<Connection*> all;
  for (auto& [raw, connection] : connections_) all.push_back(raw);
  for (Connection* c : all) c->shutdown();
}

}  // namespace tern::smtpd

// SmtpSession, connection half: TCP connect, reading and writing (through TLS once it is up),
// reply dispatch, timeouts, greeting, EHLO/HELO, STARTTLS and AUTH. The mail transaction is in
// session_transaction.cpp.
#include "smtp/session.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

#include "common/check.h"
#include "common/log/log.h"
#include "smtp/sasl.h"
#include "common/uv/write_now.h"

namespace tern::smtp {
namespace {

struct WriteRequest {
  uv_write_t req;
  std::string data;
};

constexpr size_t kReadBuffer = 64 * 1024;

}  // namespace

std::string Target::relay() const {
  if (!unix_path.empty()) return hostname + "[" + unix_path + "]";
  return hostname + "[" + address + "]:" + std::to_string(port);
}

SmtpSession::SmtpSession(uv_loop_t* loop, Target target, SessionPolicy policy)
    : loop_(loop), target_(std::move(target)), policy_(std::move(policy)), timer_(loop), post_timer_(loop) {}

SmtpSession::~SmtpSession() { close_socket(); }

void SmtpSession::close_socket() {
  if (uv_stream_t* s = stream()) uv_read_stop(s);
  tcp_.reset();
  pipe_.reset();
  timer_.stop();
}

void SmtpSession::post(std::function<void()> callback) {
  posted_ = std::move(callback);
  post_timer_.start(0, [this] {
    auto cb = std::move(posted_);
    posted_ = nullptr;
    if (cb) cb();  // may destroy *this: nothing after it
  });
}

std::string SmtpSession::tls_summary() const {
  if (!tls_ || !tls_->handshake_done()) return "";
  std::string bits = std::to_string(tls_->cipher_bits());
  return tls_->version() + " with cipher " + tls_->cipher() + " (" + bits + "/" + bits + " bits)";
}

// ---- connecting ---------------------------------------------------------------------------

void SmtpSession::open(OpenDone done) {
  open_done_ = std::move(done);
  start_connect();
}

void SmtpSession::start_connect() {
  if (!target_.unix_path.empty()) {
    auto* pipe = new uv_pipe_t;
    uv_pipe_init(loop_, pipe, 0);
    pipe->data = this;
    pipe_ = uv::UvHandle<uv_pipe_t>(pipe);
    auto* req = new uv_connect_t;
    req->data = nullptr;
    uv_pipe_connect(req, pipe, target_.unix_path.c_str(), &SmtpSession::on_connect);
    state_ = State::kConnecting;
    arm_timer(policy_.timeouts.connect, "connect");
    return;
  }
  sockaddr_storage addr{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (uv_ip4_addr(target_.address.c_str(), target_.port, v4) != 0 &&
      uv_ip6_addr(target_.address.c_str(), target_.port, v6) != 0) {
    return fail_temp("bad address " + target_.address, "4.4.1");
  }
  auto* tcp = new uv_tcp_t;
  uv_tcp_init(loop_, tcp);
  tcp->data = this;
  tcp_ = uv::UvHandle<uv_tcp_t>(tcp);
  if (!policy_.bind_address.empty() && addr.ss_family == AF_INET) {
    sockaddr_in local{};
    if (uv_ip4_addr(policy_.bind_address.c_str(), 0, &local) != 0) {
      return fail_temp("smtp_bind_address " + policy_.bind_address + " is not an IPv4 address", "4.3.5");
    }
    if (int rc = uv_tcp_bind(tcp, reinterpret_cast<sockaddr*>(&local), 0); rc != 0) {
      return fail_temp("bind to smtp_bind_address " + policy_.bind_address + ": " + uv_strerror(rc), "4.3.5");
    }
  }
  auto* req = new uv_connect_t;
  req->data = nullptr;
  int rc = uv_tcp_connect(req, tcp, reinterpret_cast<sockaddr*>(&addr), &SmtpSession::on_connect);
  if (rc != 0) {
    delete req;
    return fail_temp("connect to " + target_.relay() + ": " + uv_strerror(rc), "4.4.1");
  }
  state_ = State::kConnecting;
  arm_timer(policy_.timeouts.connect, "connect");
}

void SmtpSession::on_connect(uv_connect_t* req, int status) {
  auto* self = static_cast<SmtpSession*>(req->handle->data);
  delete req;
  if (self == nullptr) return;  // the session went away while connecting
  if (status != 0) {
    return self->fail_temp("connect to " + self->target_.relay() + ": " + uv_strerror(status), "4.4.1");
  }
  // One line per connection, so that connection reuse can be seen (and counted) in the log.
  TERN_LOG_INFO("%s: connected to %s", self->policy_.log_id.c_str(), self->target_.relay().c_str());
  self->state_ = State::kGreeting;
  self->arm_timer(self->policy_.timeouts.helo, "greeting");
  self->awaiting_.push_back(Command{"", self->policy_.timeouts.helo, "greeting",
                                    [self](const Reply& r) { self->on_greeting(r); }});
  uv_read_start(self->stream(), &SmtpSession::on_alloc, &SmtpSession::on_read);
}

// ---- reading, writing, timers -------------------------------------------------------------

void SmtpSession::on_alloc(uv_handle_t*, size_t, uv_buf_t* buf) {
  buf->base = new char[kReadBuffer];
  buf->len = kReadBuffer;
}

void SmtpSession::on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  std::unique_ptr<char[]> owned(buf->base);
  auto* self = static_cast<SmtpSession*>(s->data);
  if (self == nullptr || n == 0) return;
  if (n < 0) {
    return self->fail_temp("lost connection with " + self->target_.relay() + " while receiving the " +
                           self->stage_ + " reply");
  }
  std::string_view bytes(buf->base, static_cast<size_t>(n));
  if (self->tls_) return self->on_tls_bytes(bytes);
  self->handle_input(bytes);
}

void SmtpSession::handle_input(std::string_view plaintext) {
  reader_.append(plaintext);
  while (state_ != State::kDone) {
    auto next = reader_.next();
    if (!next) {
      return fail_temp("malformed reply from " + target_.relay() + " while waiting for the " + stage_ +
                       " reply: " + next.error().message, "4.5.0");
    }
    if (!next->has_value()) return;
    if (awaiting_.empty()) {
      return fail_temp("unexpected reply from " + target_.relay() + ": " + (*next)->text(), "4.5.0");
    }
    Command command = std::move(awaiting_.front());
    awaiting_.pop_front();
    if (awaiting_.empty()) timer_.stop();
    else arm_timer(awaiting_.front().timeout, awaiting_.front().stage);
    command.on_reply(**next);
    if (state_ == State::kDone) return;
    pump_commands();
  }
}

void SmtpSession::queue(Command command) {
  outbox_.push_back(std::move(command));
}

void SmtpSession::pump_commands() {
  std::string batch;
  while (!outbox_.empty() && (awaiting_.empty() || caps_.pipelining)) {
    Command command = std::move(outbox_.front());
    outbox_.pop_front();
    batch += command.line + "\r\n";
    if (awaiting_.empty()) arm_timer(command.timeout, command.stage);
    awaiting_.push_back(std::move(command));
  }
  if (!batch.empty()) write_plain(batch);
}

void SmtpSession::write_plain(const std::string& bytes) {
  if (!tls_) return write_raw(bytes);
  std::string cipher;
  if (auto ok = tls_->write(bytes, &cipher); !ok) {
    return fail_temp("TLS write to " + target_.relay() + " failed: " + ok.error().message);
  }
  write_raw(std::move(cipher));
}

void SmtpSession::write_raw(std::string bytes) {
  if (stream() == nullptr || bytes.empty()) return;
  uv_buf_t now = uv_buf_init(bytes.data(), static_cast<unsigned>(bytes.size()));
  size_t done = uv::write_now(stream(), &now, 1);
  if (done == bytes.size()) return;
  auto* w = new WriteRequest;
  w->data = bytes.substr(done);
  uv_buf_t buf = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
  int rc = uv_write(&w->req, stream(), &buf, 1, &SmtpSession::on_written);
  if (rc != 0) {
    delete w;
    return fail_temp("write to " + target_.relay() + ": " + uv_strerror(rc));
  }
}

void SmtpSession::on_written(uv_write_t* req, int status) {
  auto* w = reinterpret_cast<WriteRequest*>(req);
  auto* self = static_cast<SmtpSession*>(req->handle->data);
  delete w;
  if (self == nullptr || status == 0 || status == UV_ECANCELED) return;
  self->fail_temp("lost connection with " + self->target_.relay() + " while sending " + self->stage_ + ": " +
                  uv_strerror(status));
}

void SmtpSession::arm_timer(int64_t seconds, std::string stage) {
  stage_ = std::move(stage);
  timer_.start(static_cast<uint64_t>(seconds) * 1000, [this] {
    fail_temp("conversation with " + target_.relay() + " timed out while waiting for the " + stage_ + " reply",
              "4.4.2");
  });
}

// ---- failures ------------------------------------------------------------------------------

void SmtpSession::fail_temp(std::string diagnostic, std::string dsn) {
  Failure f;
  f.dsn = std::move(dsn);
  f.diagnostic = std::move(diagnostic);
  fail(std::move(f));
}

void SmtpSession::fail_politely(Failure failure) {
  send_quit_now();
  fail(std::move(failure));
}

void SmtpSession::fail(Failure failure) {
  if (state_ == State::kDone) return;
  bool in_transaction = state_ == State::kBusy;
  bool idle = state_ == State::kReady && !open_done_;
  state_ = State::kDone;
  outbox_.clear();
  awaiting_.clear();
  close_socket();
  if (idle) {
    // A cached connection the server closed while it waited for the next message: no message
    // was affected, so none is named (the last one sent was delivered).
    TERN_LOG_DEBUG("%s: cached connection closed by the server", target_.relay().c_str());
  } else {
    const std::string& id = tx_.queue_id.empty() ? policy_.log_id : tx_.queue_id;
    TERN_LOG_INFO("%s%s%s", id.c_str(), id.empty() ? "" : ": ", failure.diagnostic.c_str());
  }
  if (in_transaction) {
    for (size_t i = 0; i < results_.size(); ++i) {
      if (!decided_[i]) set_result(i, proto::RecipientResult::DEFERRED, failure.dsn, failure.diagnostic);
    }
    auto done = std::move(deliver_done_);
    auto results = std::move(results_);
    post([done = std::move(done), results = std::move(results)]() mutable { done(std::move(results)); });
    return;
  }
  if (open_done_) {
    auto done = std::move(open_done_);
    post([done = std::move(done), failure = std::move(failure)]() mutable { done(std::move(failure)); });
  }
}

// ---- greeting, EHLO, STARTTLS, AUTH -------------------------------------------------------

void SmtpSession::on_greeting(const Reply& reply) {
  if (reply.code != 220) {
    // As smtp_skip_5xx_greeting=yes: any refusal here is a reason to try another server.
    Failure f;
    f.dsn = "4.3.0";
    f.diagnostic = "host " + target_.relay() + " refused to talk to me: " + reply.text();
    return fail_politely(std::move(f));
  }
  send_ehlo();
}

void SmtpSession::send_ehlo() {
  state_ = State::kHelo;
  const char* verb = policy_.lmtp ? "LHLO" : helo_only_ ? "HELO" : "EHLO";
  queue({std::string(verb) + " " + policy_.helo_name, policy_.timeouts.helo, verb,
         [this](const Reply& r) { on_ehlo(r); }});
  pump_commands();
}

void SmtpSession::on_ehlo(const Reply& reply) {
  if (reply.code != 250) {
    if (!helo_only_ && !policy_.lmtp && reply.klass() == 5 && !tls_done_) {
      helo_only_ = true;
      return send_ehlo();
    }
    Failure f;
    f.diagnostic = "host " + target_.relay() + " refused to talk to me: " + reply.text();
    return fail_politely(std::move(f));
  }
  caps_ = helo_only_ ? Capabilities{} : parse_capabilities(reply);
  after_helo();
}

void SmtpSession::after_helo() {
  bool want_tls = policy_.tls_level != TlsLevel::kNone && policy_.try_tls && policy_.tls_context;
  if (!tls_done_ && want_tls && caps_.starttls) return start_tls();
  if (!tls_done_ && policy_.tls_level >= TlsLevel::kEncrypt) {
    Failure f;
    f.dsn = "4.7.4";
    f.diagnostic = "TLS is required, but was not offered by host " + target_.relay();
    return fail_politely(std::move(f));
  }
  if (policy_.credentials) return start_auth();
  opened();
}

void SmtpSession::start_tls() {
  state_ = State::kTls;
  queue({"STARTTLS", policy_.timeouts.starttls, "STARTTLS", [this](const Reply& reply) {
           if (reply.code != 220) {
             if (policy_.tls_level >= TlsLevel::kEncrypt) {
               Failure f;
               f.dsn = "4.7.5";
               f.diagnostic = "TLS is required, but host " + target_.relay() + " refused to start TLS: " + reply.text();
               return fail_politely(std::move(f));
             }
             tls_done_ = true;  // carry on in plaintext, as Postfix does at "may"
             if (policy_.credentials) return start_auth();
             return opened();
           }
           // Anything the server sent after the 220 came before the handshake: never trust it.
           size_t dropped = reader_.discard();
           if (dropped > 0) {
             TERN_LOG_WARNING("%s: discarded %zu bytes sent after the STARTTLS reply", target_.relay().c_str(), dropped);
           }
           tls_ = tls::new_client_session(policy_.tls_context, target_.hostname);
           std::string hello;
           if (auto ok = tls_->start(&hello); !ok) {
             Failure f;
             f.tls_handshake = true;
             f.diagnostic = "TLS handshake with " + target_.relay() + " failed: " + ok.error().message;
             return fail(std::move(f));
           }
           arm_timer(policy_.timeouts.starttls, "TLS handshake");
           write_raw(std::move(hello));
         }});
  pump_commands();
}

void SmtpSession::on_tls_bytes(std::string_view cipher) {
  std::string plain, to_peer;
  bool was_done = tls_->handshake_done();
  auto ok = tls_->feed(cipher, &plain, &to_peer);
  write_raw(std::move(to_peer));
  if (!ok) {
    Failure f;
    f.tls_handshake = !was_done;
    f.dsn = "4.7.5";
    f.diagnostic = (was_done ? "TLS error with " : "TLS handshake with ") + target_.relay() + " failed: " +
                   ok.error().message;
    return fail(std::move(f));
  }
  if (!was_done && tls_->handshake_done()) {
    timer_.stop();
    tls_done_ = true;
    bool trusted = tls_->peer_verified();
    if (policy_.tls_level == TlsLevel::kVerify && !trusted) {
      Failure f;
      f.dsn = "4.7.5";
      f.diagnostic = "Server certificate not verified for " + target_.relay() + ": " + tls_->verify_error();
      return fail_politely(std::move(f));
    }
    if (policy_.tls_level == TlsLevel::kDane) {
      std::vector<std::string> chain;
      for (int depth = 0; depth < 16; ++depth) {
        std::string der = tls_->peer_chain_der(depth);
        if (der.empty()) break;
        chain.push_back(std::move(der));
      }
      DaneVerdict verdict = dane_match(policy_.dane_tlsa, chain, policy_.dane_names);
      if (!verdict.matched) {
        Failure f;
        f.dsn = "4.7.5";
        f.diagnostic = "Server certificate not verified for " + target_.relay() + ": DANE: " + verdict.detail;
        return fail_politely(std::move(f));
      }
      TERN_LOG_INFO("Verified TLS connection established to %s: %s (DANE %s)", target_.relay().c_str(),
                    tls_summary().c_str(), verdict.detail.c_str());
    } else {
      TERN_LOG_INFO("%s TLS connection established to %s: %s", trusted ? "Trusted" : "Untrusted",
                    target_.relay().c_str(), tls_summary().c_str());
    }
    caps_ = Capabilities{};
    helo_only_ = false;
    send_ehlo();  // capabilities are learned again under TLS
  }
  if (!plain.empty()) handle_input(plain);
}

void SmtpSession::start_auth() {
  state_ = State::kAuth;
  if (!tls_ && !policy_.auth_allow_plaintext) {
    Failure f;
    f.dsn = "4.7.0";
    f.diagnostic = "will not send credentials to " + target_.relay() + " without TLS";
    return fail_politely(std::move(f));
  }
  const auto& [user, password] = *policy_.credentials;
  auto on_auth = [this](const Reply& reply) {
    if (reply.code == 235) return opened();
    // A refused login is the sender's configuration, not the message's fault: the mail waits
    // (as Postfix's smtp_sasl_auth_soft_bounce = yes), so the DSN class is always 4.
    std::string enhanced = reply.enhanced_status();
    Failure f;
    f.dsn = enhanced.empty() ? (reply.klass() == 5 ? "4.7.8" : "4.7.0") : "4" + enhanced.substr(1);
    f.diagnostic = "SASL authentication failed; server " + target_.relay() + " said: " + reply.text();
    fail_politely(std::move(f));
  };
  if (caps_.auth_plain) {
    queue({"AUTH PLAIN " + sasl_plain_response(user, password), policy_.timeouts.helo, "AUTH", on_auth});
  } else if (caps_.auth_login) {
    std::string u = base64_encode(user), p = base64_encode(password);
    queue({"AUTH LOGIN", policy_.timeouts.helo, "AUTH", [this, u, p, on_auth](const Reply& r1) {
             if (r1.code != 334) return on_auth(r1);
             queue({u, policy_.timeouts.helo, "AUTH", [this, p, on_auth](const Reply& r2) {
                      if (r2.code != 334) return on_auth(r2);
                      queue({p, policy_.timeouts.helo, "AUTH", on_auth});
                    }});
           }});
  } else {
    Failure f;
    f.dsn = "4.7.0";
    f.diagnostic = "host " + target_.relay() + " offers no AUTH PLAIN or LOGIN";
    return fail_politely(std::move(f));
  }
  pump_commands();
}

void SmtpSession::opened() {
  state_ = State::kReady;
  auto done = std::move(open_done_);
  open_done_ = nullptr;
  post([done = std::move(done)] { done(std::nullopt); });
}

void SmtpSession::quit() {
  if (state_ == State::kReady) send_quit_now();
  state_ = State::kDone;
  close_socket();
}

void SmtpSession::send_quit_now() {
  // Best effort and without waiting: the socket is closed right after. Never in the middle of
  // a TLS handshake, where a plaintext QUIT would be taken for handshake bytes.
  if (stream() == nullptr || state_ == State::kDone || (tls_ && !tls_->handshake_done())) return;
  std::string bytes = "QUIT\r\n";
  if (tls_) {
    std::string cipher;
    if (tls_->write(bytes, &cipher)) tls_->shutdown(&cipher);
    bytes = std::move(cipher);
  }
  uv_buf_t buf = uv_buf_init(bytes.data(), static_cast<unsigned>(bytes.size()));
  uv_try_write(stream(), &buf, 1);
}

}  // namespace tern::smtp

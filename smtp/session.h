// SmtpSession: one outbound SMTP connection to one server address, on the program's loop.
// open() connects, reads the greeting, says EHLO (HELO if EHLO is refused), does STARTTLS as
// the policy asks (capabilities are learned again after TLS and any bytes that came with the
// 220 are thrown away), and AUTH when credentials are given. deliver() then runs one mail
// transaction (PIPELINING when offered) and reports one result per recipient; the session may
// be handed another transaction afterwards (connection reuse) while reusable() holds.
//
// Every stage has its own timeout (Postfix's smtp_*_timeout); a malformed, over-long or endless
// reply, a lost connection or a TLS error ends the session with a Failure and never crashes.
// Callbacks run from a zero-delay timer, never from inside open()/deliver(), so the owner may
// destroy the session inside them.
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/tls/tls_session.h"
#include "common/uv/handle.h"
#include "common/uv/timer.h"
#include "delivery.pb.h"
#include "smtp/capabilities.h"
#include "smtp/dane.h"
#include "smtp/reply_reader.h"

namespace tern::smtp {

// Ordered: every level from kEncrypt up makes TLS mandatory.
enum class TlsLevel { kNone, kMay, kEncrypt, kVerify, kDane };

struct Target {
  std::string hostname;   // MX host name (or the address for IP literals)
  std::string address;    // IPv4 or IPv6 text
  uint16_t port = 25;
  std::string unix_path;  // LMTP over a unix-domain socket: connect here instead
  std::string relay() const;  // "host[addr]:port", or "host[/path]" for a socket
};

struct Timeouts {  // seconds
  int64_t connect = 30, helo = 300, starttls = 300, mail = 300, rcpt = 300;
  int64_t data_init = 120, data_xfer = 180, data_done = 600, quit = 300;
};

struct SessionPolicy {
  std::string log_id;                      // queue id of the job that opens the connection
  std::string helo_name;
  TlsLevel tls_level = TlsLevel::kMay;
  std::shared_ptr<tls::TlsContext> tls_context;  // needed unless kNone
  bool try_tls = true;                           // false: a retry after a failed "may" handshake
  std::optional<std::pair<std::string, std::string>> credentials;  // user, password
  bool auth_allow_plaintext = false;
  std::vector<Tlsa> dane_tlsa;             // kDane: usable TLSA records, one must match
  std::vector<std::string> dane_names;     // kDane: names a DANE-TA chain's leaf may carry
  int64_t reuse_limit = 0;                 // most transactions on this connection; 0: no limit
  bool lmtp = false;                       // LHLO, no HELO fallback, one reply per recipient after the data
  std::string bind_address;                // smtp_bind_address: the local IPv4 address to connect from
  Timeouts timeouts;
};

// Why a session could not be used.
struct Failure {
  bool permanent = false;     // 5xx: bounce (only for a transaction-level refusal)
  bool try_next = true;       // another MX / address may do better
  bool tls_handshake = false; // an opportunistic handshake failed: a plaintext retry may work
  std::string dsn = "4.4.2";
  std::string diagnostic;
};

struct Transaction {
  std::string queue_id;
  std::string sender;
  std::vector<proto::DeliveryRecipient> recipients;
  std::string wire_data;      // encode_data() of the message
  uint64_t message_size = 0;
  bool eightbit = false;      // BODY=8BITMIME
  bool needs_smtputf8 = false;
  int ret = 0;                // proto::DsnRet
  std::string envid;
};

class SmtpSession {
 public:
  using OpenDone = std::function<void(std::optional<Failure>)>;
  using DeliverDone = std::function<void(std::vector<proto::RecipientResult>)>;

  SmtpSession(uv_loop_t* loop, Target target, SessionPolicy policy);
  ~SmtpSession();
  SmtpSession(const SmtpSession&) = delete;
  SmtpSession& operator=(const SmtpSession&) = delete;

  void open(OpenDone done);
  void deliver(Transaction transaction, DeliverDone done);
  // Sends QUIT and closes without waiting long (the destructor closes too).
  void quit();

  bool reusable() const {
    return state_ == State::kReady && (policy_.reuse_limit <= 0 || transactions_ < policy_.reuse_limit);
  }
  const Target& target() const { return target_; }
  std::string tls_summary() const;  // "TLSv1.3 with cipher X (256/256 bits)" or ""

 private:
  enum class State { kConnecting, kGreeting, kHelo, kTls, kAuth, kReady, kBusy, kDone };
  struct Command {
    std::string line;                 // without CRLF
    int64_t timeout;
    std::string stage;                // "MAIL FROM", for diagnostics
    std::function<void(const Reply&)> on_reply;
  };

  static void on_connect(uv_connect_t* req, int status);
  static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);
  static void on_written(uv_write_t* req, int status);

  void start_connect();
  void on_greeting(const Reply& reply);
  void send_ehlo();
  void on_ehlo(const Reply& reply);
  void after_helo();
  void start_tls();
  void on_tls_bytes(std::string_view cipher);
  void start_auth();
  void opened();

  void queue(Command command);
  void pump_commands();
  void handle_input(std::string_view plaintext);
  void write_plain(const std::string& bytes);
  void write_raw(std::string bytes);
  void arm_timer(int64_t seconds, std::string stage);

  void transaction_reply_mail(const Reply& reply);
  void transaction_reply_rcpt(size_t i, const Reply& reply);
  void transaction_reply_data(const Reply& reply);
  void transaction_reply_dot(const Reply& reply);
  void expect_lmtp_replies();
  void finish_transaction(bool reusable);
  void set_result(size_t i, const Reply& reply);
  void set_result(size_t i, proto::RecipientResult::Outcome outcome, std::string dsn, std::string diagnostic);

  // Session-level failure: the connection is closed and the pending callback gets it.
  void fail(Failure failure);
  // The same for a refusal while the conversation is still in step (a reply we cannot go on
  // with, or a policy of ours): QUIT first, as Postfix does, so that the server logs a clean
  // end instead of "lost connection after AUTH" (which fail2ban-style filters punish).
  void fail_politely(Failure failure);
  void send_quit_now();
  void fail_temp(std::string diagnostic, std::string dsn = "4.4.2");
  void post(std::function<void()> callback);
  void close_socket();

  uv_loop_t* loop_;
  Target target_;
  SessionPolicy policy_;
  State state_ = State::kConnecting;
  uv::UvHandle<uv_tcp_t> tcp_;    // the connection: one of these two
  uv::UvHandle<uv_pipe_t> pipe_;  // (LMTP over a unix-domain socket)
  uv_stream_t* stream() const { return tcp_ ? tcp_.stream() : pipe_ ? pipe_.stream() : nullptr; }
  uv::Timer timer_;
  uv::Timer post_timer_;
  std::function<void()> posted_;
  std::string stage_;             // what we were waiting for ("greeting", "MAIL FROM", ...)
  ReplyReader reader_;
  Capabilities caps_;
  bool tls_done_ = false;
  bool helo_only_ = false;
  std::unique_ptr<tls::TlsSession> tls_;
  std::deque<Command> outbox_;    // not yet sent
  std::deque<Command> awaiting_;  // sent, reply not yet read
  OpenDone open_done_;
  DeliverDone deliver_done_;
  Transaction tx_;
  std::vector<proto::RecipientResult> results_;
  std::vector<bool> decided_;
  size_t accepted_ = 0;
  int64_t transactions_ = 0;      // mail transactions started on this connection
};

}  // namespace tern::smtp

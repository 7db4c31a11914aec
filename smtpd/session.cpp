// Session: input handling, the verb table and the verbs that keep no transaction state
// (see session.h).
#include "smtpd/session.h"

#include <utility>

#include "common/log/log.h"
#include "common/smtp/reply.h"
#include "smtpd/transaction.h"

namespace tern::smtpd {

struct Session::VerbEntry {
  smtp::Verb verb;
  const char* log_name;                      // as in Postfix's disconnect line
  bool (Session::*check)();                  // nullptr: none
  void (Session::*act)(const smtp::Command&);
};

namespace {
constexpr int kVerbCount = 15;
}

const Session::VerbEntry Session::kVerbs[] = {
    {smtp::Verb::kEhlo, "ehlo", nullptr, &Session::do_ehlo},
    {smtp::Verb::kHelo, "helo", nullptr, &Session::do_helo},
    {smtp::Verb::kMail, "mail", &Session::check_mail_allowed, &Session::do_mail},
    {smtp::Verb::kRcpt, "rcpt", &Session::check_mail, &Session::do_rcpt},
    {smtp::Verb::kData, "data", &Session::check_mail, &Session::do_data},
    {smtp::Verb::kBdat, "bdat", nullptr, &Session::do_bdat},
    {smtp::Verb::kRset, "rset", nullptr, &Session::do_rset},
    {smtp::Verb::kNoop, "noop", nullptr, &Session::do_noop},
    {smtp::Verb::kQuit, "quit", nullptr, &Session::do_quit},
    {smtp::Verb::kVrfy, "vrfy", nullptr, &Session::do_vrfy},
    {smtp::Verb::kExpn, "expn", nullptr, &Session::do_expn},
    {smtp::Verb::kHelp, "help", nullptr, &Session::do_help},
    {smtp::Verb::kStarttls, "starttls", &Session::check_no_transaction, &Session::do_starttls},
    {smtp::Verb::kAuth, "auth", &Session::check_no_transaction, &Session::do_auth},
};

Session::Session(SessionHost& host, std::shared_ptr<const Settings> settings, ClientIdentity client,
                 bool tls_available)
    : host_(host), settings_(std::move(settings)), client_(std::move(client)), tls_available_(tls_available) {}

Session::~Session() {
  std::string counts;
  int total = 0;
  for (const VerbEntry& e : kVerbs) {
    int i = static_cast<int>(e.verb);
    if (counts_total_[i] == 0) continue;
    counts += " " + std::string(e.log_name) + "=" + std::to_string(counts_ok_[i]);
    if (counts_ok_[i] != counts_total_[i]) counts += "/" + std::to_string(counts_total_[i]);
    total += counts_total_[i];
  }
  int unknown = counts_total_[static_cast<int>(smtp::Verb::kUnknown)];
  if (unknown > 0) counts += " unknown=0/" + std::to_string(unknown);
  total += unknown;
  TERN_LOG_INFO("disconnect from %s%s commands=%d", client_.log_name().c_str(), counts.c_str(), total);
}

void Session::start() {
  TERN_LOG_INFO("connect from %s", client_.log_name().c_str());
  greet();
}

void Session::on_input(std::string_view bytes) {
  if (state_ == SessionState::kClosed) return;
  in_.append(bytes);
  process();
}

void Session::process() {
  while (!busy_ && state_ != SessionState::kClosed) {
    if (state_ == SessionState::kData) {
      if (in_.empty()) break;
      process_data();
    } else if (state_ == SessionState::kBdat) {
      if (in_.empty() && tx_->bdat_remaining > 0) break;
      process_bdat();
    } else if (!process_command_line()) {
      break;
    }
  }
  // Give back the memory of a burst (a large pipelined batch, a DATA stream).
  if (in_.empty() && in_.capacity() > 1024) std::string().swap(in_);
}

// Takes one line from in_ and acts on it; false when no complete line is there.
bool Session::process_command_line() {
  size_t newline = in_.find('\n');
  if (newline == std::string::npos) {
    if (in_.size() > settings_->line_length_limit) {
      discarding_line_ = true;  // answered when its end arrives
      in_.clear();
    }
    return false;
  }
  std::string line = in_.substr(0, newline);
  in_.erase(0, newline + 1);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (std::exchange(discarding_line_, false) || line.size() > settings_->line_length_limit) {
    error_reply(500, "5.5.2", "Error: line too long");
    return true;
  }
  if (line.find('\0') != std::string::npos) {
    error_reply(500, "5.5.2", "Error: NUL character in command");
    return true;
  }
  if (state_ == SessionState::kAuth) {
    auth_response(line);
    return true;
  }
  dispatch(smtp::parse_command(line));
  return true;
}

void Session::dispatch(const smtp::Command& command) {
  int index = static_cast<int>(command.verb);
  if (counts_total_[index] < UINT16_MAX) ++counts_total_[index];
  last_verb_ = command.verb;
  note_pipelining(command.verb);
  for (const VerbEntry& e : kVerbs) {
    if (e.verb != command.verb) continue;
    int errors_before = errors_;
    bool allowed = command.verb == smtp::Verb::kQuit || check_access_denied();
    if (allowed && (e.check == nullptr || (this->*e.check)())) (this->*e.act)(command);
    if (errors_ == errors_before && counts_ok_[index] < UINT16_MAX) ++counts_ok_[index];
    return;
  }
  error_reply(502, "5.5.2", "Error: command not recognized");
}

// --- replies -----------------------------------------------------------------------------

void Session::reply(int code, std::string_view enhanced, std::string_view text) {
  host_.send(smtp::format_reply(code, enhanced, text));
}

void Session::error_reply(int code, std::string_view enhanced, std::string_view text) {
  ++errors_;
  if (settings_->hard_error_limit > 0 && errors_ >= settings_->hard_error_limit) {
    reply(code, enhanced, text);
    TERN_LOG_INFO("too many errors after %s from %s", verb_name(last_verb_), client_.log_name().c_str());
    close_with(421, "4.7.0", settings_->myhostname + " Error: too many errors");
    return;
  }
  if (errors_ > settings_->soft_error_limit && settings_->error_sleep_ms > 0) {
    // Tarpit: the reply (and everything pipelined after it) waits.
    set_busy(true);
    host_.after(settings_->error_sleep_ms, [this, bytes = smtp::format_reply(code, enhanced, text)] {
      host_.send(bytes);
      set_busy(false);
      process();
    });
    return;
  }
  reply(code, enhanced, text);
}

void Session::close_with(int code, std::string_view enhanced, std::string_view text) {
  if (state_ == SessionState::kClosed) return;
  reply(code, enhanced, text);
  reset_transaction();
  state_ = SessionState::kClosed;
  in_.clear();
  host_.close();
}

void Session::set_busy(bool busy) {
  busy_ = busy;
  host_.set_reading(!busy);
}

const char* Session::verb_name(smtp::Verb verb) {
  for (const VerbEntry& e : kVerbs) {
    if (e.verb == verb) return e.log_name;
  }
  return verb == smtp::Verb::kUnknown ? "UNKNOWN" : "CONNECT";
}

void Session::count_junk() {
  if (settings_->junk_command_limit > 0 && ++junk_ > settings_->junk_command_limit) ++errors_;
}

// --- events ------------------------------------------------------------------------------

void Session::on_disconnect() {
  if (state_ == SessionState::kClosed) return;
  const char* where = state_ == SessionState::kData || state_ == SessionState::kBdat ? "DATA" : verb_name(last_verb_);
  TERN_LOG_INFO("lost connection after %s from %s", where, client_.log_name().c_str());
  reset_transaction();
  state_ = SessionState::kClosed;
}

void Session::on_timeout() {
  if (state_ == SessionState::kClosed) return;
  const char* where = state_ == SessionState::kData || state_ == SessionState::kBdat ? "DATA" : verb_name(last_verb_);
  TERN_LOG_INFO("timeout after %s from %s", where, client_.log_name().c_str());
  close_with(421, "4.4.2", settings_->myhostname + " Error: timeout exceeded");
}

void Session::on_shutdown() {
  close_with(421, "4.3.2", settings_->myhostname + " Service shutting down, closing transmission channel");
}

void Session::tls_established(std::string version, std::string cipher, int bits) {
  tls_ = true;
  tls_version_ = std::move(version);
  tls_cipher_ = std::move(cipher);
  tls_bits_ = bits;
  // RFC 3207 §4.2: forget everything learnt before TLS.
  helo_.clear();
  esmtp_ = false;
  reset_transaction();
  if (state_ != SessionState::kClosed) state_ = SessionState::kConnected;
  set_busy(false);
  process();
}

// --- checks ------------------------------------------------------------------------------

bool Session::check_no_transaction() {
  if (tx_ == nullptr) return true;
  error_reply(503, "5.5.1", "Error: MAIL transaction in progress");
  return false;
}

bool Session::check_mail() {
  if (tx_ != nullptr) return true;
  error_reply(503, "5.5.1", "Error: need MAIL command");
  return false;
}

bool Session::check_mail_allowed() {
  if (tx_ != nullptr) {
    error_reply(503, "5.5.1", "Error: nested MAIL command");
    return false;
  }
  if (helo_.empty() && settings_->helo_required) {
    error_reply(503, "5.5.1", "Error: send HELO/EHLO first");
    return false;
  }
  if (!tls_ && client_.role != Role::kLocal && settings_->tls_level == TlsLevel::kEncrypt) {
    error_reply(530, "5.7.0", "Must issue a STARTTLS command first");
    return false;
  }
  bool auth_required = client_.role == Role::kSubmission || client_.role == Role::kSmtps;
  if (auth_required && sasl_username_.empty()) {
    error_reply(530, "5.7.0", "Authentication required");
    return false;
  }
  return true;
}

// --- verbs without a transaction ----------------------------------------------------------

void Session::do_ehlo(const smtp::Command& c) {
  if (c.args.empty()) {
    error_reply(501, "5.5.4", "Syntax: EHLO hostname");
    return;
  }
  std::string name(c.args);
  check_helo(name, [this, name] {
    reset_transaction();
    helo_ = name;
    esmtp_ = true;
    state_ = SessionState::kReady;
    const Settings& s = *settings_;
    std::vector<std::string> lines = {s.myhostname};
    auto add = [&](const std::string& keyword, const std::string& line) {
      if (s.announces(keyword)) lines.push_back(line);
    };
    add("PIPELINING", "PIPELINING");
    add("SIZE", "SIZE " + std::to_string(s.message_size_limit));
    if (tls_available_ && !tls_) add("STARTTLS", "STARTTLS");
    if (auth_offered()) add("AUTH", "AUTH PLAIN LOGIN");
    add("ENHANCEDSTATUSCODES", "ENHANCEDSTATUSCODES");
    add("8BITMIME", "8BITMIME");
    add("DSN", "DSN");
    if (s.smtputf8_enable) add("SMTPUTF8", "SMTPUTF8");
    add("CHUNKING", "CHUNKING");
    host_.send(smtp::format_multiline(250, "", lines));
  });
}

void Session::do_helo(const smtp::Command& c) {
  if (c.args.empty()) {
    error_reply(501, "5.5.4", "Syntax: HELO hostname");
    return;
  }
  std::string name(c.args);
  check_helo(name, [this, name] {
    reset_transaction();
    helo_ = name;
    esmtp_ = false;
    state_ = SessionState::kReady;
    reply(250, "", settings_->myhostname);
  });
}

void Session::do_rset(const smtp::Command& c) {
  if (!c.args.empty()) {
    error_reply(501, "5.5.4", "Syntax: RSET");
    return;
  }
  count_junk();
  reset_transaction();
  reply(250, "2.0.0", "Ok");
}

void Session::do_noop(const smtp::Command&) {
  count_junk();
  reply(250, "2.0.0", "Ok");
}

void Session::do_quit(const smtp::Command&) {
  close_with(221, "2.0.0", "Bye");
}

void Session::do_vrfy(const smtp::Command& c) {
  count_junk();
  if (settings_->disable_vrfy) {
    error_reply(502, "5.5.1", "VRFY command is disabled");
  } else if (c.args.empty()) {
    error_reply(501, "5.5.4", "Syntax: VRFY address");
  } else {
    // Never says whether the user exists (RFC 5321 §3.5.3).
    reply(252, "2.0.0", "Cannot VRFY user, but will accept message and attempt delivery");
  }
}

void Session::do_expn(const smtp::Command&) {
  error_reply(502, "5.5.1", "EXPN command is not supported");
}

void Session::do_help(const smtp::Command&) {
  count_junk();
  reply(214, "2.0.0", "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY STARTTLS AUTH");
}

void Session::do_starttls(const smtp::Command& c) {
  if (tls_) {
    error_reply(554, "5.5.1", "Error: TLS already active");
    return;
  }
  if (!tls_available_ || client_.role == Role::kLocal) {
    error_reply(502, "5.5.1", "Error: command not implemented");
    return;
  }
  if (!c.args.empty()) {
    error_reply(501, "5.5.4", "Syntax: STARTTLS");
    return;
  }
  reply(220, "2.0.0", "Ready to start TLS");
  // Commands pipelined behind STARTTLS came in plaintext: never act on them.
  in_.clear();
  busy_ = true;  // until tls_established(); the host keeps reading for the handshake
  if (!host_.start_tls()) close_with(454, "4.7.0", "TLS not available due to local problem");
}

}  // namespace tern::smtpd

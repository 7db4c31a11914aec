// Session: one SMTP dialogue (RFC 5321, with PIPELINING, SIZE, 8BITMIME, SMTPUTF8,
// ENHANCEDSTATUSCODES, CHUNKING, DSN, STARTTLS, AUTH). Bytes in through on_input(), replies
// out through the SessionHost. The verbs are a table of {verb, check, act} (session.cpp);
// the state is an enum class. Runs on the loop thread; holds a few hundred bytes while idle
// (a partial command line at most), the transaction's envelope while one is open, and
// streams message data straight into the queue file.
//
// Split over: session.cpp (input, the verb table, the simple verbs), session_mail.cpp
// (MAIL, RCPT), session_data.cpp (DATA, BDAT, commit), session_auth.cpp (AUTH),
// session_restrictions.cpp (the access restrictions at each command).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/smtp/body.h"
#include "common/smtp/command.h"
#include "envelope.pb.h"
#include "smtpd/restrictions.h"
#include "smtpd/session_host.h"
#include "smtpd/settings.h"

namespace tern::smtpd {

enum class SessionState {
  kConnected,   // greeted, no HELO/EHLO yet
  kReady,       // after HELO/EHLO, no transaction
  kMail,        // after MAIL
  kRcpt,        // at least one recipient accepted
  kData,        // reading DATA content
  kBdat,        // reading a BDAT chunk
  kAuth,        // waiting for a SASL response line
  kClosed,
};

class Session {
 public:
  Session(SessionHost& host, std::shared_ptr<const Settings> settings, ClientIdentity client,
          bool tls_available);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Sends the greeting (after the TLS handshake on smtps).
  void start();
  // Bytes from the client (plaintext, after TLS).
  void on_input(std::string_view bytes);
  // The client went away (EOF or error).
  void on_disconnect();
  // No input for smtpd_timeout.
  void on_timeout();
  // The TLS handshake finished (STARTTLS, or smtps before start()).
  void tls_established(std::string version, std::string cipher, int bits);
  // Master is stopping us: say 421 and close.
  void on_shutdown();

  SessionState state() const { return state_; }
  bool busy() const { return busy_; }

  struct VerbEntry;  // {verb, check, act}: the table is in session.cpp
  struct Transaction;
  struct PendingCheck;  // a restriction evaluation waiting for look-ups

 private:
  // The reply to a BDAT whose chunk is read and dropped (code 0: already answered).
  struct BdatError {
    int code = 0;
    std::string enhanced;
    std::string text;
  };

  static const VerbEntry kVerbs[];
  static const char* verb_name(smtp::Verb verb);

  // Input
  void process();
  bool process_command_line();
  void dispatch(const smtp::Command& command);
  void process_data();
  void process_bdat();

  // Replies
  void reply(int code, std::string_view enhanced, std::string_view text);
  void error_reply(int code, std::string_view enhanced, std::string_view text);
  void close_with(int code, std::string_view enhanced, std::string_view text);
  void set_busy(bool busy);
  void log_reject(std::string_view stage, int code, std::string_view enhanced, std::string_view text,
                  std::string_view to);

  // Checks (true: go on; false: a reply was sent)
  bool check_no_transaction();
  bool check_mail();
  bool check_mail_allowed();
  void count_junk();

  // Actions
  void do_ehlo(const smtp::Command& c);
  void do_helo(const smtp::Command& c);
  void do_mail(const smtp::Command& c);
  void do_rcpt(const smtp::Command& c);
  void do_data(const smtp::Command& c);
  void do_bdat(const smtp::Command& c);
  void start_bdat(const smtp::BdatArgs& args);
  void discard_bdat(const smtp::BdatArgs& args, BdatError error);
  void do_rset(const smtp::Command& c);
  void do_noop(const smtp::Command& c);
  void do_quit(const smtp::Command& c);
  void do_vrfy(const smtp::Command& c);
  void do_expn(const smtp::Command& c);
  void do_help(const smtp::Command& c);
  void do_starttls(const smtp::Command& c);
  void do_auth(const smtp::Command& c);

  // Transactions (session_mail.cpp, session_data.cpp)
  void mail_accepted(smtp::PathCommand mail);
  void rcpt_resolved(smtp::PathCommand rcpt, std::string address, Result<proto::LookupReply> answer);
  void add_recipient(const smtp::PathCommand& rcpt, const std::string& address, Result<proto::LookupReply>& answer);
  void reset_transaction();
  bool open_queue_file();
  void append_body(std::string_view bytes);  // through header/body checks, when configured
  void write_body(std::string_view bytes);   // into the queue file
  void log_content_check(std::string_view action, std::string_view where, std::string_view line,
                         std::string_view text);
  void finish_message(bool bare_newline, bool too_big, bool line_too_long);
  void committed(Result<void> result);
  std::string received_header() const;
  std::string protocol() const;
  void sender_binding_checked(smtp::PathCommand mail, Result<proto::LookupReply> answer);

  // Restrictions (session_restrictions.cpp)
  bool restricted(Stage stage) const;
  CheckFacts check_facts() const;
  void check_restrictions(std::vector<Stage> stages, CheckFacts facts, std::function<void(const Verdict&)> done,
                          const RecipientFacts* recipient = nullptr);
  void continue_check();
  void greet();
  bool check_access_denied();
  void check_helo(const std::string& name, std::function<void()> act);
  void check_sender(std::function<void()> act);
  void check_recipient(const RecipientFacts& recipient, std::function<void(const Verdict&)> done);
  void check_data(std::function<void()> act, std::function<void(const Verdict&)> refused);
  void note_pipelining(smtp::Verb verb);

  // AUTH (session_auth.cpp)
  bool auth_offered() const;
  void auth_response(std::string_view line);
  void auth_check(std::string mechanism, std::string authzid, std::string user, std::string password);
  void auth_done(std::string mechanism, std::string user, Result<proto::LookupReply> answer);

  SessionHost& host_;
  std::shared_ptr<const Settings> settings_;
  ClientIdentity client_;
  bool tls_available_;
  SessionState state_ = SessionState::kConnected;
  bool busy_ = false;
  bool discarding_line_ = false;     // an over-long command line is being skipped
  std::string in_;                   // unprocessed input (a partial line, pipelined commands)
  std::string helo_;
  bool esmtp_ = false;
  bool tls_ = false;
  std::string tls_version_, tls_cipher_;
  std::string sasl_username_, sasl_method_;
  int tls_bits_ = 0;
  smtp::Verb last_verb_ = smtp::Verb::kUnknown;
  int errors_ = 0;
  int junk_ = 0;
  int auth_failures_ = 0;
  std::unique_ptr<Transaction> tx_;  // the open mail transaction
  std::unique_ptr<PendingCheck> check_;  // restrictions being evaluated
  LookupAnswers answers_;            // look-ups the restrictions asked for, this transaction
  bool access_denied_ = false;       // the client list refused at connect (smtpd_delay_reject = no)
  bool improper_pipelining_ = false; // for reject_unauth_pipelining
  // AUTH dialogue in progress
  std::string auth_mechanism_;
  std::string auth_user_;
  int auth_step_ = 0;
  BdatError pending_bdat_error_;     // the reply after a dropped chunk
  // Per-verb counts for the disconnect line (ok, total).
  uint16_t counts_ok_[15] = {};
  uint16_t counts_total_[15] = {};
};

}  // namespace tern::smtpd

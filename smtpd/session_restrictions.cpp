// Session: the access restrictions at each command (restrictions.h) -- which stages run
// where (smtpd_delay_reject), the look-ups they ask for, done one at a time through the
// host while input is held (so pipelined commands keep their order), and the refusals.
// Local submission (sendmail) gets only the relay and recipient stages: Postfix's pickup
// path is not subject to the client, HELO, sender and data restrictions either.
#include <utility>

#include "common/log/log.h"
#include "smtpd/session.h"
#include "smtpd/transaction.h"

namespace tern::smtpd {

bool Session::restricted(Stage stage) const {
  return client_.role != Role::kLocal && !settings_->restrictions.of(stage).empty();
}

CheckFacts Session::check_facts() const {
  CheckFacts f;
  f.client_address = client_.address;
  f.client_name = client_.log_name();
  f.client_in_mynetworks = client_.role == Role::kLocal || settings_->mynetworks.contains(client_.address);
  f.sasl_authenticated = !sasl_username_.empty();
  if (!helo_.empty()) f.helo = helo_;
  if (tx_ != nullptr) f.sender = tx_->envelope.sender();
  f.improper_pipelining = improper_pipelining_;
  return f;
}

void Session::check_restrictions(std::vector<Stage> stages, CheckFacts facts,
                                 std::function<void(const Verdict&)> done,
                                 const RecipientFacts* recipient) {
  check_ = std::make_unique<PendingCheck>();
  check_->stages = std::move(stages);
  check_->facts = std::move(facts);
  if (recipient != nullptr) {
    check_->recipient = *recipient;
    check_->facts.recipient = &check_->recipient;
  }
  check_->done = std::move(done);
  continue_check();
}

void Session::continue_check() {
  PendingCheck& c = *check_;
  Evaluation e = evaluate(c.stages, settings_->restrictions, c.facts, answers_);
  if (e.need) {
    c.async = true;
    set_busy(true);
    host_.lookup(std::move(e.need->request), [this, key = e.need->key](Result<proto::LookupReply> reply) {
      if (state_ == SessionState::kClosed || check_ == nullptr) return;
      LookupAnswer& answer = answers_[key];
      if (reply) {
        answer.ok = true;
        answer.reply = std::move(*reply);
      } else {
        TERN_LOG_WARNING("%s: lookup for %s failed: %s", client_.log_name().c_str(), key.c_str(),
                         reply.error().message.c_str());
      }
      continue_check();
    });
    return;
  }
  for (const std::string& w : e.warnings) TERN_LOG_WARNING("%s: %s", client_.log_name().c_str(), w.c_str());
  for (const std::string& n : e.notes) {
    std::string from = tx_ ? tx_->envelope.sender() : std::string();
    TERN_LOG_INFO("NOQUEUE: warn: %s from %s: %s; from=<%s> proto=%s helo=<%s>", verb_name(last_verb_),
                  client_.log_name().c_str(), n.c_str(), from.c_str(), esmtp_ ? "ESMTP" : "SMTP", helo_.c_str());
  }
  std::unique_ptr<PendingCheck> finished = std::move(check_);
  if (!finished->async) {
    finished->done(e.verdict);  // still inside the command: the input loop goes on by itself
    return;
  }
  set_busy(false);
  finished->done(e.verdict);
  process();
}

// smtpd_delay_reject = no: the client list at connect. A refusal replaces the greeting, and
// every later command but QUIT gets 503 5.7.0, as in Postfix (RFC 5321 §3.1).
void Session::greet() {
  if (settings_->delay_reject || !restricted(Stage::kClient)) {
    reply(220, "", settings_->banner);
    return;
  }
  check_restrictions({Stage::kClient}, check_facts(), [this](const Verdict& v) {
    if (v.accept) {
      reply(220, "", settings_->banner);
      return;
    }
    log_reject("CONNECT", v.code, v.enhanced, v.text, "");
    access_denied_ = true;
    reply(v.code, v.enhanced, v.text);
  });
}

bool Session::check_access_denied() {
  if (!access_denied_) return true;
  error_reply(503, "5.7.0", "Error: access denied for " + client_.log_name());
  return false;
}

// smtpd_delay_reject = no: the HELO list at HELO/EHLO; act() runs when it permits.
void Session::check_helo(const std::string& name, std::function<void()> act) {
  if (settings_->delay_reject || !restricted(Stage::kHelo)) return act();
  CheckFacts facts = check_facts();
  facts.helo = name;
  check_restrictions({Stage::kHelo}, std::move(facts),
                     [this, act = std::move(act)](const Verdict& v) {
                       if (v.accept) return act();
                       log_reject(last_verb_ == smtp::Verb::kEhlo ? "EHLO" : "HELO", v.code, v.enhanced, v.text, "");
                       error_reply(v.code, v.enhanced, v.text);
                     });
}

// smtpd_delay_reject = no: the sender list at MAIL FROM (the transaction is open).
void Session::check_sender(std::function<void()> act) {
  if (settings_->delay_reject || !restricted(Stage::kSender)) return act();
  check_restrictions({Stage::kSender}, check_facts(),
                     [this, act = std::move(act)](const Verdict& v) {
                       if (tx_ == nullptr) return;
                       if (v.accept) return act();
                       log_reject("MAIL", v.code, v.enhanced, v.text, "");
                       tx_.reset();
                       error_reply(v.code, v.enhanced, v.text);
                     });
}

// RCPT TO: (client, HELO, sender with smtpd_delay_reject,) relay, recipient.
void Session::check_recipient(const RecipientFacts& recipient, std::function<void(const Verdict&)> done) {
  std::vector<Stage> stages;
  if (settings_->delay_reject && client_.role != Role::kLocal) {
    stages = {Stage::kClient, Stage::kHelo, Stage::kSender};
  }
  stages.push_back(Stage::kRelay);
  stages.push_back(Stage::kRecipient);
  check_restrictions(std::move(stages), check_facts(), std::move(done), &recipient);
}

// DATA, or the first BDAT: the data list. refused() answers (DATA at once, BDAT after its chunk).
void Session::check_data(std::function<void()> act, std::function<void(const Verdict&)> refused) {
  if (!restricted(Stage::kData)) return act();
  check_restrictions({Stage::kData}, check_facts(),
                     [this, act = std::move(act), refused = std::move(refused)](const Verdict& v) {
                       if (tx_ == nullptr) return;
                       if (v.accept) return act();
                       log_reject(last_verb_ == smtp::Verb::kBdat ? "BDAT" : "DATA", v.code, v.enhanced, v.text, "");
                       refused(v);
                     });
}

// RFC 2920: EHLO, HELO, DATA, VRFY, EXPN and NOOP end a group; and a client that was not
// offered PIPELINING may not pipeline at all. Sticky, as in Postfix.
void Session::note_pipelining(smtp::Verb verb) {
  if (in_.empty() || improper_pipelining_) return;
  bool ends_group = verb == smtp::Verb::kEhlo || verb == smtp::Verb::kHelo || verb == smtp::Verb::kData ||
                    verb == smtp::Verb::kVrfy || verb == smtp::Verb::kExpn || verb == smtp::Verb::kNoop;
  bool offered = esmtp_ && settings_->announces("PIPELINING");
  if (ends_group || (!offered && verb != smtp::Verb::kBdat && verb != smtp::Verb::kQuit)) improper_pipelining_ = true;
}

}  // namespace tern::smtpd

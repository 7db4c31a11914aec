// SmtpSession, transaction half: MAIL FROM with SIZE/BODY/SMTPUTF8/RET/ENVID, RCPT TO with
// NOTIFY/ORCPT, DATA and the final dot, each recipient's result taken from the remote reply.
#include <string>

#include "common/check.h"
#include "common/log/log.h"
#include "smtp/session.h"

namespace tern::smtp {
namespace {

// RFC 3461 xtext: '+', '=' and anything outside '!'..'~' as "+XX".
std::string xtext(const std::string& in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    if (c < '!' || c > '~' || c == '+' || c == '=') {
      out += '+';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string notify_keywords(uint32_t notify) {
  if (notify & 8) return "NEVER";
  std::string out;
  auto add = [&out](const char* k) { out += out.empty() ? k : std::string(",") + k; };
  if (notify & 1) add("SUCCESS");
  if (notify & 2) add("FAILURE");
  if (notify & 4) add("DELAY");
  return out;
}

// The ORCPT value as stored ("rfc822;addr"); an address without a type gets one.
std::string orcpt_param(const std::string& orcpt) {
  if (orcpt.find(';') != std::string::npos) {
    size_t semi = orcpt.find(';');
    return orcpt.substr(0, semi + 1) + xtext(orcpt.substr(semi + 1));
  }
  return "rfc822;" + xtext(orcpt);
}

std::string default_dsn(const Reply& reply) {
  std::string enhanced = reply.enhanced_status();
  if (!enhanced.empty()) return enhanced;
  return std::to_string(reply.klass()) + ".0.0";
}

}  // namespace

void SmtpSession::set_result(size_t i, proto::RecipientResult::Outcome outcome, std::string dsn,
                             std::string diagnostic) {
  auto& r = results_[i];
  r.set_outcome(outcome);
  r.set_dsn_status(std::move(dsn));
  r.set_diagnostic(std::move(diagnostic));
  decided_[i] = true;
}

void SmtpSession::set_result(size_t i, const Reply& reply) {
  auto outcome = reply.klass() == 2   ? proto::RecipientResult::DELIVERED
                 : reply.klass() == 5 ? proto::RecipientResult::BOUNCED
                                      : proto::RecipientResult::DEFERRED;
  set_result(i, outcome, default_dsn(reply), reply.text());
}

void SmtpSession::deliver(Transaction transaction, DeliverDone done) {
  TERN_CHECK(state_ == State::kReady);
  state_ = State::kBusy;
  ++transactions_;
  tx_ = std::move(transaction);
  deliver_done_ = std::move(done);
  results_.clear();
  decided_.assign(tx_.recipients.size(), false);
  accepted_ = 0;
  for (const auto& rcpt : tx_.recipients) {
    proto::RecipientResult r;
    r.set_index(rcpt.index());
    r.set_relay(target_.relay());
    results_.push_back(std::move(r));
  }

  if (tx_.needs_smtputf8 && !caps_.smtputf8) {
    for (size_t i = 0; i < results_.size(); ++i) {
      set_result(i, proto::RecipientResult::BOUNCED, "5.6.7",
                 "SMTPUTF8 is required, but was not offered by host " + target_.relay());
    }
    return finish_transaction(true);
  }
  if (caps_.size && caps_.size_limit > 0 && tx_.message_size > caps_.size_limit) {
    for (size_t i = 0; i < results_.size(); ++i) {
      set_result(i, proto::RecipientResult::BOUNCED, "5.3.4",
                 "message size " + std::to_string(tx_.message_size) + " exceeds size limit " +
                     std::to_string(caps_.size_limit) + " of server " + target_.relay());
    }
    return finish_transaction(true);
  }

  std::string mail = "MAIL FROM:<" + tx_.sender + ">";
  if (caps_.size) mail += " SIZE=" + std::to_string(tx_.message_size);
  if (caps_.eightbitmime && tx_.eightbit) mail += " BODY=8BITMIME";
  if (caps_.smtputf8 && tx_.needs_smtputf8) mail += " SMTPUTF8";
  if (caps_.dsn) {
    if (tx_.ret == 1) mail += " RET=FULL";
    if (tx_.ret == 2) mail += " RET=HDRS";
    if (!tx_.envid.empty()) mail += " ENVID=" + xtext(tx_.envid);
  }
  queue({mail, policy_.timeouts.mail, "MAIL FROM", [this](const Reply& r) { transaction_reply_mail(r); }});
  for (size_t i = 0; i < tx_.recipients.size(); ++i) {
    const auto& rcpt = tx_.recipients[i];
    std::string line = "RCPT TO:<" + rcpt.address() + ">";
    if (caps_.dsn) {
      if (rcpt.notify() != 0) line += " NOTIFY=" + notify_keywords(rcpt.notify());
      if (!rcpt.orcpt().empty()) line += " ORCPT=" + orcpt_param(rcpt.orcpt());
    }
    queue({line, policy_.timeouts.rcpt, "RCPT TO", [this, i](const Reply& r) { transaction_reply_rcpt(i, r); }});
  }
  queue({"DATA", policy_.timeouts.data_init, "DATA", [this](const Reply& r) { transaction_reply_data(r); }});
  pump_commands();
}

void SmtpSession::transaction_reply_mail(const Reply& reply) {
  if (reply.klass() == 2) return;
  if (reply.klass() == 3) return fail_temp("protocol error: unexpected reply to MAIL FROM from " + target_.relay() + ": " + reply.text(), "4.5.0");
  // The sender was refused: every recipient gets this reply; pipelined RCPT/DATA replies that
  // follow are read and ignored (they only confirm the refusal).
  for (size_t i = 0; i < results_.size(); ++i) set_result(i, reply);
  if (!caps_.pipelining) {
    outbox_.clear();
    queue({"RSET", policy_.timeouts.mail, "RSET", [this](const Reply&) { finish_transaction(true); }});
  }
}

void SmtpSession::transaction_reply_rcpt(size_t i, const Reply& reply) {
  if (decided_[i]) return;  // MAIL FROM already failed
  if (reply.klass() == 3) return fail_temp("protocol error: unexpected reply to RCPT TO from " + target_.relay() + ": " + reply.text(), "4.5.0");
  if (reply.klass() == 2) {
    ++accepted_;
    return;
  }
  set_result(i, reply);
  if (!caps_.pipelining && i + 1 == tx_.recipients.size() && accepted_ == 0) {
    outbox_.clear();  // no DATA: nobody to send it to
    queue({"RSET", policy_.timeouts.mail, "RSET", [this](const Reply&) { finish_transaction(true); }});
  }
}

void SmtpSession::transaction_reply_data(const Reply& reply) {
  if (accepted_ == 0) {
    // Pipelined DATA after every recipient (or the sender) was refused.
    if (reply.code == 354) {
      queue({".", policy_.timeouts.data_done, "end of data", [this](const Reply&) { finish_transaction(true); }});
      return;
    }
    return finish_transaction(true);
  }
  if (reply.code != 354) {
    for (size_t i = 0; i < results_.size(); ++i) {
      if (!decided_[i]) set_result(i, reply);
    }
    return finish_transaction(true);
  }
  arm_timer(policy_.timeouts.data_xfer, "end of data");
  if (policy_.lmtp) {
    expect_lmtp_replies();
  } else {
    awaiting_.push_back({"", policy_.timeouts.data_done, "end of data",
                         [this](const Reply& r) { transaction_reply_dot(r); }});
  }
  std::string data = std::move(tx_.wire_data);
  write_plain(data);
  // The data_done timer starts once the bytes are handed over; the write-completion detail is
  // libuv's, so this errs on the side of data_xfer + data_done for huge messages.
  arm_timer(policy_.timeouts.data_xfer + policy_.timeouts.data_done, "end of data");
}

void SmtpSession::transaction_reply_dot(const Reply& reply) {
  if (reply.klass() == 3) return fail_temp("protocol error: unexpected reply to end of data from " + target_.relay() + ": " + reply.text(), "4.5.0");
  for (size_t i = 0; i < results_.size(); ++i) {
    if (!decided_[i]) set_result(i, reply);
  }
  finish_transaction(true);
}

// LMTP (RFC 2033 §4.2): after the data, one reply for each recipient that RCPT accepted, in
// RCPT order; each decides that recipient alone.
void SmtpSession::expect_lmtp_replies() {
  std::vector<size_t> accepted;
  for (size_t i = 0; i < results_.size(); ++i) {
    if (!decided_[i]) accepted.push_back(i);
  }
  for (size_t k = 0; k < accepted.size(); ++k) {
    bool last = k + 1 == accepted.size();
    awaiting_.push_back({"", policy_.timeouts.data_done, "end of data", [this, i = accepted[k], last](const Reply& r) {
                           if (r.klass() == 3) {
                             return fail_temp("protocol error: unexpected reply to end of data from " +
                                              target_.relay() + ": " + r.text(), "4.5.0");
                           }
                           set_result(i, r);
                           if (last) finish_transaction(true);
                         }});
  }
}

void SmtpSession::finish_transaction(bool reusable) {
  if (state_ != State::kBusy) return;
  if (!awaiting_.empty() || !outbox_.empty()) {
    // Replies to pipelined commands are still due; finish when the last one arrives.
    if (!outbox_.empty() || awaiting_.size() > 0) {
      if (!awaiting_.empty()) {
        auto& last = awaiting_.back();
        auto previous = std::move(last.on_reply);
        last.on_reply = [this, previous = std::move(previous), reusable](const Reply& r) {
          previous(r);
          finish_transaction(reusable);
        };
        return;
      }
    }
  }
  state_ = reusable ? State::kReady : State::kDone;
  auto done = std::move(deliver_done_);
  auto results = std::move(results_);
  post([done = std::move(done), results = std::move(results)]() mutable { done(std::move(results)); });
}

}  // namespace tern::smtp

// Session: MAIL FROM and RCPT TO -- envelope parameters (SIZE, BODY, SMTPUTF8, RET, ENVID,
// NOTIFY, ORCPT), sender binding for authenticated clients, and recipient validation and
// relay control through lookup (see session.h, restrictions.h).
#include <cctype>
#include <utility>

#include "common/log/log.h"
#include "smtpd/restrictions.h"
#include "smtpd/session.h"
#include "smtpd/transaction.h"

namespace tern::smtpd {
namespace {

constexpr size_t kMaxEnvidLength = 100;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

const char* role_name(Role role) {
  switch (role) {
    case Role::kSmtp: return "smtp";
    case Role::kSubmission: return "submission";
    case Role::kSmtps: return "smtps";
    case Role::kLocal: return "local";
  }
  return "?";
}

std::string ClientIdentity::log_name() const {
  if (role == Role::kLocal) return "local[uid=" + std::to_string(local_uid) + "]";
  return hostname + "[" + address + "]";
}

void Session::log_reject(std::string_view stage, int code, std::string_view enhanced, std::string_view text,
                         std::string_view to) {
  // Exactly Postfix's shape, which pflogsumm and fail2ban count.
  std::string from = tx_ ? tx_->envelope.sender() : std::string();
  std::string line = "NOQUEUE: reject: " + std::string(stage) + " from " + client_.log_name() + ": " +
                     std::to_string(code) + " " + std::string(enhanced) + " " + std::string(text) +
                     "; from=<" + from + ">";
  if (!to.empty()) line += " to=<" + std::string(to) + ">";
  line += " proto=" + std::string(esmtp_ ? "ESMTP" : "SMTP") + " helo=<" + helo_ + ">";
  TERN_LOG_INFO("%s", line.c_str());
}

void Session::do_mail(const smtp::Command& c) {
  smtp::PathOptions options{.allow_utf8 = settings_->smtputf8_enable};
  auto mail = smtp::parse_path_command(c.args, "FROM:", smtp::PathKind::kReverse, options);
  if (!mail) {
    error_reply(501, "5.5.4", mail.error().message);
    return;
  }
  proto::Envelope envelope;
  uint64_t size = 0;
  for (const smtp::EsmtpParam& p : mail->params) {
    if (p.keyword == "SIZE" && p.has_value && p.value.size() <= 19 &&
        p.value.find_first_not_of("0123456789") == std::string::npos) {
      size = std::stoull(p.value);
      if (size > settings_->message_size_limit) {
        error_reply(552, "5.3.4", "Message size exceeds fixed limit");
        return;
      }
    } else if (p.keyword == "BODY" && (lower(p.value) == "8bitmime" || lower(p.value) == "7bit")) {
      envelope.set_body_8bitmime(lower(p.value) == "8bitmime");
    } else if (p.keyword == "SMTPUTF8" && !p.has_value && settings_->smtputf8_enable) {
      envelope.set_smtputf8(true);
    } else if (p.keyword == "RET" && (lower(p.value) == "full" || lower(p.value) == "hdrs")) {
      envelope.set_ret(lower(p.value) == "full" ? proto::RET_FULL : proto::RET_HDRS);
    } else if (p.keyword == "ENVID" && p.has_value && p.value.size() <= kMaxEnvidLength &&
               smtp::is_valid_xtext(p.value)) {
      envelope.set_envid(p.value);
    } else if (p.keyword == "AUTH" && p.has_value) {
      // RFC 4954 AUTH=: accepted and ignored (we trust only our own authentication).
    } else {
      error_reply(555, "5.5.4", "Unsupported option: " + p.keyword + (p.has_value ? "=" + p.value : ""));
      return;
    }
  }
  if (mail->path.mailbox.has_utf8() && !envelope.smtputf8()) {
    error_reply(553, "5.6.7", "Must declare SMTPUTF8 to send unicode address");
    return;
  }
  tx_ = std::make_unique<Transaction>();
  tx_->envelope = std::move(envelope);
  tx_->declared_size = size;
  tx_->envelope.set_sender(mail->path.null ? "" : mail->path.mailbox.address());
  if (!sasl_username_.empty() && !mail->path.null) {
    // Sender binding: an authenticated user sends only as an address it owns.
    if (settings_->sender_login_maps) {
      proto::LookupRequest request;
      request.mutable_table()->set_parameter("smtpd_sender_login_maps");
      request.mutable_table()->set_key(lower(tx_->envelope.sender()));
      set_busy(true);
      host_.lookup(std::move(request), [this, m = std::move(*mail)](Result<proto::LookupReply> r) mutable {
        set_busy(false);
        sender_binding_checked(std::move(m), std::move(r));
        process();
      });
      return;
    }
    if (lower(tx_->envelope.sender()) != lower(sasl_username_)) {
      std::string text = "<" + tx_->envelope.sender() + ">: Sender address rejected: not owned by user " + sasl_username_;
      log_reject("MAIL", 553, "5.7.1", text, "");
      tx_.reset();
      error_reply(553, "5.7.1", text);
      return;
    }
  }
  mail_accepted(std::move(*mail));
}

void Session::sender_binding_checked(smtp::PathCommand mail, Result<proto::LookupReply> answer) {
  if (tx_ == nullptr) return;
  if (!answer) {
    tx_.reset();
    error_reply(451, "4.3.0", "<" + mail.path.mailbox.address() + ">: Temporary lookup failure");
    return;
  }
  bool owned = false;
  if (answer->found()) {
    for (const std::string& value : answer->values()) {
      // A value is a list of logins ("alice, bob").
      size_t start = 0;
      while (start <= value.size()) {
        size_t end = value.find_first_of(", \t", start);
        if (lower(value.substr(start, end == std::string::npos ? std::string::npos : end - start)) == lower(sasl_username_))
          owned = true;
        if (end == std::string::npos) break;
        start = end + 1;
      }
    }
  }
  if (!owned) {
    std::string text = "<" + tx_->envelope.sender() + ">: Sender address rejected: not owned by user " + sasl_username_;
    log_reject("MAIL", 553, "5.7.1", text, "");
    tx_.reset();
    error_reply(553, "5.7.1", text);
    return;
  }
  mail_accepted(std::move(mail));
}

void Session::mail_accepted(smtp::PathCommand) {
  check_sender([this] {
    state_ = SessionState::kMail;
    reply(250, "2.1.0", "Ok");
  });
}

void Session::do_rcpt(const smtp::Command& c) {
  smtp::PathOptions options{.allow_utf8 = tx_->envelope.smtputf8()};
  auto rcpt = smtp::parse_path_command(c.args, "TO:", smtp::PathKind::kForward, options);
  ++tx_->rcpt_attempts;
  if (!rcpt) {
    error_reply(501, "5.5.4", rcpt.error().message);
    return;
  }
  for (const smtp::EsmtpParam& p : rcpt->params) {
    bool ok = false;
    if (p.keyword == "NOTIFY" && p.has_value) ok = smtp::parse_notify(p.value).has_value();
    if (p.keyword == "ORCPT" && p.has_value) {
      size_t semi = p.value.find(';');
      ok = semi != std::string::npos && semi > 0 && smtp::is_valid_xtext(p.value.substr(semi + 1));
    }
    if (!ok) {
      error_reply(555, "5.5.4", "Unsupported option: " + p.keyword + (p.has_value ? "=" + p.value : ""));
      return;
    }
  }
  if (settings_->recipient_limit > 0 && tx_->envelope.recipients_size() >= settings_->recipient_limit) {
    error_reply(452, "4.5.3", "Error: too many recipients");
    return;
  }
  const smtp::Mailbox& box = rcpt->path.mailbox;
  std::string address = box.domain.empty() ? box.local_part + "@" + settings_->myhostname : box.address();
  proto::LookupRequest request;
  request.mutable_resolve()->set_address(address);
  set_busy(true);
  host_.lookup(std::move(request), [this, r = std::move(*rcpt), address](Result<proto::LookupReply> reply) mutable {
    set_busy(false);
    rcpt_resolved(std::move(r), std::move(address), std::move(reply));
    process();
  });
}

void Session::rcpt_resolved(smtp::PathCommand rcpt, std::string address, Result<proto::LookupReply> answer) {
  if (tx_ == nullptr || state_ == SessionState::kClosed) return;
  const smtp::Mailbox& box = rcpt.path.mailbox;
  RecipientFacts facts;
  facts.recipient = box.domain.empty() ? box.local_part : box.address();
  facts.routing_syntax = box.has_routing_syntax();
  facts.address_literal = box.address_literal;
  if (!answer) {
    TERN_LOG_WARNING("lookup of <%s> failed: %s", address.c_str(), answer.error().message.c_str());
  } else if (answer->resolutions_size() == 0) {
    TERN_LOG_WARNING("lookup of <%s> gave no resolution", address.c_str());
  } else {
    facts.lookup_ok = true;
    facts.klass = answer->resolutions(0).klass();
    // An alias that fans out is ours as soon as one of its targets is.
    for (const auto& r : answer->resolutions()) {
      if (r.klass() == proto::Resolution::ERROR) facts.klass = proto::Resolution::ERROR;
    }
    facts.virtual_domain = answer->resolutions(0).error().find("virtual") != std::string::npos;
    facts.relay_domain = answer->resolutions(0).relay_domain();
  }
  std::string shown = facts.recipient;
  check_recipient(facts, [this, rcpt = std::move(rcpt), address = std::move(address), answer = std::move(answer),
                          shown](const Verdict& verdict) mutable {
    if (tx_ == nullptr) return;
    if (!verdict.accept) {
      log_reject("RCPT", verdict.code, verdict.enhanced, verdict.text, shown);
      error_reply(verdict.code, verdict.enhanced, verdict.text);
      return;
    }
    add_recipient(rcpt, address, answer);
  });
}

void Session::add_recipient(const smtp::PathCommand& rcpt, const std::string& address,
                            Result<proto::LookupReply>& answer) {
  proto::Recipient* r = tx_->envelope.add_recipients();
  r->set_address(address);
  if (answer && answer->resolutions_size() > 0) *r->mutable_resolved() = std::move(*answer->mutable_resolutions());
  for (const smtp::EsmtpParam& p : rcpt.params) {
    if (p.keyword == "NOTIFY") r->set_notify(*smtp::parse_notify(p.value));
    if (p.keyword == "ORCPT") r->set_orcpt(p.value);
  }
  state_ = SessionState::kRcpt;
  reply(250, "2.1.5", "Ok");
}

}  // namespace tern::smtpd

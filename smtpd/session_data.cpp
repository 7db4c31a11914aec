// Session: message content -- DATA and BDAT streamed into the queue file (through
// header_checks/body_checks when configured, content_filter.h), the Received: header, and the
// commit that must be durable before "250 2.0.0 Ok: queued as ID" (DESIGN.md §4). An aborted
// transaction drops its QueueFileWriter, which unlinks the file.
#include <cerrno>
#include <ctime>
#include <utility>

#include "common/log/log.h"
#include "smtpd/received.h"
#include "smtpd/session.h"
#include "smtpd/transaction.h"

namespace tern::smtpd {
namespace {

bool disk_full(const Error& e) { return e.code == ENOSPC || e.code == EDQUOT || e.code == EFBIG; }

}  // namespace

std::string Session::protocol() const {
  if (client_.role == Role::kLocal) return "LOCAL";
  std::string p = esmtp_ ? "ESMTP" : "SMTP";
  if (tls_) p += "S";
  if (!sasl_username_.empty()) p += "A";
  return p;
}

void Session::reset_transaction() {
  tx_.reset();  // an unfinished queue file is unlinked by its writer
  answers_.clear();
  if (state_ != SessionState::kConnected && state_ != SessionState::kClosed) state_ = SessionState::kReady;
}

// Creates the queue file with the envelope and writes the Received: header.
bool Session::open_queue_file() {
  proto::Envelope& e = tx_->envelope;
  e.set_queue_id(host_.new_queue_id());
  e.set_arrival_time_us(host_.now_us());
  proto::ClientInfo* ci = e.mutable_client();
  ci->set_helo(helo_);
  ci->set_address(client_.address);
  ci->set_port(client_.port);
  ci->set_hostname(client_.hostname);
  ci->set_protocol(protocol());
  if (tls_) ci->set_tls(tls_version_ + " " + tls_cipher_);
  ci->set_sasl_username(sasl_username_);
  ci->set_local_uid(client_.local_uid);
  auto writer = host_.create_queue_file(e);
  if (!writer) {
    TERN_LOG_WARNING("%s: cannot create queue file: %s", e.queue_id().c_str(), writer.error().message.c_str());
    if (disk_full(writer.error())) {
      error_reply(452, "4.3.1", "Error: insufficient system storage");
    } else {
      error_reply(451, "4.3.0", "Error: queue file write error");
    }
    return false;
  }
  tx_->writer.emplace(std::move(*writer));
  if (settings_->content_checks) {
    tx_->filter.emplace(
        settings_->content_checks, settings_->line_length_limit, [this](std::string_view b) { write_body(b); },
        [this](std::string_view action, std::string_view where, std::string_view line, std::string_view text) {
          log_content_check(action, where, line, text);
        });
  }
  std::string client_line = e.queue_id() + ": client=" + client_.log_name();
  if (!sasl_username_.empty()) client_line += ", sasl_method=" + sasl_method_ + ", sasl_username=" + sasl_username_;
  if (client_.role == Role::kLocal) client_line = e.queue_id() + ": uid=" + std::to_string(client_.local_uid) + " from=<" + e.sender() + ">";
  TERN_LOG_INFO("%s", client_line.c_str());
  ReceivedInfo info;
  info.helo = helo_;
  info.client_hostname = client_.hostname;
  info.client_address = client_.address;
  info.local_uid = client_.local_uid;
  info.myhostname = settings_->myhostname;
  info.protocol = protocol();
  info.queue_id = e.queue_id();
  if (tls_) info.tls = tls_version_ + " with cipher " + tls_cipher_ + " (" + std::to_string(tls_bits_) + "/" + std::to_string(tls_bits_) + " bits)";
  if (e.recipients_size() == 1) info.recipient = e.recipients(0).address();
  info.time_us = e.arrival_time_us();
  append_body(format_received(info));
  return true;
}

void Session::append_body(std::string_view bytes) {
  if (tx_->filter) {
    tx_->filter->feed(bytes);
  } else {
    write_body(bytes);
  }
}

void Session::write_body(std::string_view bytes) {
  if (tx_->write_error || bytes.empty()) return;
  if (auto r = tx_->writer->append(bytes); !r) tx_->write_error = r.error();
}

void Session::do_data(const smtp::Command& c) {
  if (!c.args.empty()) {
    error_reply(501, "5.5.4", "Syntax: DATA");
    return;
  }
  if (tx_->bdat_total > 0 || tx_->bdat_scanner) {
    error_reply(503, "5.5.1", "Error: DATA after BDAT");
    return;
  }
  if (tx_->envelope.recipients_size() == 0) {
    if (tx_->rcpt_attempts > 0) {
      error_reply(554, "5.5.1", "Error: no valid recipients");
    } else {
      error_reply(503, "5.5.1", "Error: need RCPT command");
    }
    return;
  }
  check_data(
      [this] {
        if (!open_queue_file()) return;
        tx_->decoder.emplace(settings_->message_size_limit, settings_->line_length_limit);
        state_ = SessionState::kData;
        reply(354, "", "End data with <CR><LF>.<CR><LF>");
      },
      [this](const Verdict& v) { error_reply(v.code, v.enhanced, v.text); });
}

void Session::process_data() {
  Transaction& t = *tx_;
  t.chunk.clear();
  size_t used = t.decoder->feed(in_, &t.chunk);
  in_.erase(0, used);
  append_body(t.chunk);
  if (t.chunk.capacity() > 64 * 1024) std::string().swap(t.chunk);
  if (t.decoder->done()) {
    finish_message(t.decoder->bare_newline(), t.decoder->too_big(), t.decoder->line_too_long());
  }
}

void Session::do_bdat(const smtp::Command& c) {
  auto args = smtp::parse_bdat(c.args);
  if (!args) {
    // Without a valid size the chunk cannot be skipped: the stream is lost.
    close_with(501, "5.5.4", args.error().message);
    return;
  }
  if (tx_ == nullptr || tx_->envelope.recipients_size() == 0 || tx_->decoder) {
    // RFC 3030 §4.2: the chunk is read and dropped.
    const char* why = tx_ == nullptr ? "Error: need MAIL command"
                      : tx_->decoder ? "Error: BDAT after DATA"
                      : tx_->rcpt_attempts > 0 ? "Error: no valid recipients" : "Error: need RCPT command";
    int code = tx_ != nullptr && tx_->rcpt_attempts > 0 && !tx_->decoder ? 554 : 503;
    if (tx_ == nullptr) {
      tx_ = std::make_unique<Transaction>();
      tx_->rcpt_attempts = -1;  // a placeholder that only carries the discard
    }
    discard_bdat(*args, {code, "5.5.1", why});
    return;
  }
  if (tx_->writer) {
    start_bdat(*args);
    return;
  }
  // The first chunk: smtpd_data_restrictions, as at DATA; the reply waits for the chunk.
  check_data([this, a = *args] { start_bdat(a); },
             [this, a = *args](const Verdict& v) { discard_bdat(a, {v.code, v.enhanced, v.text}); });
}

void Session::discard_bdat(const smtp::BdatArgs& args, BdatError error) {
  tx_->bdat_discard = true;
  tx_->bdat_remaining = args.size;
  tx_->bdat_last = args.last;
  state_ = SessionState::kBdat;
  pending_bdat_error_ = std::move(error);
}

void Session::start_bdat(const smtp::BdatArgs& args) {
  if (!tx_->writer) {
    if (!open_queue_file()) return discard_bdat(args, {});  // already answered
    tx_->bdat_scanner.emplace(settings_->line_length_limit);
  }
  tx_->bdat_remaining = args.size;
  tx_->bdat_last = args.last;
  state_ = SessionState::kBdat;
}

void Session::process_bdat() {
  Transaction& t = *tx_;
  size_t take = static_cast<size_t>(std::min<uint64_t>(t.bdat_remaining, in_.size()));
  std::string_view piece(in_.data(), take);
  if (!t.bdat_discard) {
    t.bdat_total += take;
    if (t.bdat_total > settings_->message_size_limit) t.bdat_too_big = true;
    if (!t.bdat_too_big) {
      t.bdat_scanner->scan(piece);
      append_body(piece);
    }
  }
  in_.erase(0, take);
  t.bdat_remaining -= take;
  if (t.bdat_remaining > 0) return;
  if (t.bdat_discard) {
    bool placeholder = t.rcpt_attempts < 0;
    BdatError error = std::move(pending_bdat_error_);
    if (placeholder) {
      tx_.reset();
      state_ = helo_.empty() ? SessionState::kConnected : SessionState::kReady;
    } else if (t.writer || t.bdat_last) {
      reset_transaction();
    } else {
      state_ = t.envelope.recipients_size() > 0 ? SessionState::kRcpt : SessionState::kMail;
      t.bdat_discard = false;
    }
    if (error.code != 0) error_reply(error.code, error.enhanced, error.text);
    return;
  }
  if (!t.bdat_last) {
    state_ = SessionState::kRcpt;
    if (t.bdat_too_big) {
      reset_transaction();
      error_reply(552, "5.3.4", "Error: message file too big");
      return;
    }
    reply(250, "2.0.0", "Ok: " + std::to_string(t.bdat_total) + " bytes received");
    return;
  }
  t.bdat_scanner->finish();
  finish_message(t.bdat_scanner->bare_newline(), t.bdat_too_big, t.bdat_scanner->line_too_long());
}

// The end of the data: reject, or commit and then answer.
void Session::finish_message(bool bare_newline, bool too_big, bool line_too_long) {
  const std::string id = tx_->envelope.queue_id();
  auto refuse = [&](int code, const char* enhanced, const char* text) {
    TERN_LOG_INFO("%s: reject: %s from %s: %d %s %s; from=<%s> proto=%s helo=<%s>", id.c_str(),
                  client_.role == Role::kLocal ? "DATA" : "END-OF-MESSAGE", client_.log_name().c_str(), code,
                  enhanced, text, tx_->envelope.sender().c_str(), protocol().c_str(), helo_.c_str());
    reset_transaction();
    error_reply(code, enhanced, text);
  };
  if (too_big) return refuse(552, "5.3.4", "Error: message file too big");
  if (bare_newline) return refuse(550, "5.5.2", "Error: bare <CR> or <LF> received in message data");
  if (line_too_long) return refuse(552, "5.3.4", "Error: message line too long");
  if (tx_->filter) {
    tx_->filter->finish();
    ContentFilter::Verdict verdict = tx_->filter->verdict();  // logged by log_content_check
    if (verdict.kind == ContentFilter::Verdict::Kind::kReject) {
      reset_transaction();
      return error_reply(verdict.code, verdict.enhanced, verdict.text);
    }
    if (verdict.kind == ContentFilter::Verdict::Kind::kDiscard) {
      reset_transaction();  // the queue file is unlinked, the client told it was taken
      return reply(250, "2.0.0", "Ok: queued as " + id);
    }
  }
  if (tx_->write_error) {
    TERN_LOG_WARNING("%s: queue file write error: %s", id.c_str(), tx_->write_error->message.c_str());
    if (disk_full(*tx_->write_error)) return refuse(452, "4.3.1", "Error: insufficient system storage");
    return refuse(451, "4.3.0", "Error: queue file write error");
  }
  set_busy(true);
  spool::QueueFileWriter writer = std::move(*tx_->writer);
  tx_->writer.reset();
  host_.commit(std::move(writer), [this](Result<void> r) {
    set_busy(false);
    committed(std::move(r));
    process();
  });
}

// Postfix's shape: "ID: warning: header Subject: x from host[ip]; from=<a> to=<b> proto=ESMTP
// helo=<h>: text", the header or line cut at 200 bytes.
void Session::log_content_check(std::string_view action, std::string_view where, std::string_view line,
                                std::string_view text) {
  const proto::Envelope& e = tx_->envelope;
  std::string shown(line.substr(0, 200));
  std::string to = e.recipients_size() > 0 ? e.recipients(0).address() : "";
  std::string tail = text.empty() ? "" : ": " + std::string(text);
  TERN_LOG_INFO("%s: %.*s: %.*s %s from %s; from=<%s> to=<%s> proto=%s helo=<%s>%s", e.queue_id().c_str(),
                static_cast<int>(action.size()), action.data(), static_cast<int>(where.size()), where.data(),
                shown.c_str(), client_.log_name().c_str(), e.sender().c_str(), to.c_str(), protocol().c_str(),
                helo_.c_str(), tail.c_str());
}

void Session::committed(Result<void> result) {
  if (tx_ == nullptr) return;
  const std::string id = tx_->envelope.queue_id();
  if (!result) {
    TERN_LOG_WARNING("%s: queue file commit failed: %s", id.c_str(), result.error().message.c_str());
    bool full = disk_full(result.error());
    reset_transaction();
    if (full) {
      error_reply(452, "4.3.1", "Error: insufficient system storage");
    } else {
      error_reply(451, "4.3.0", "Error: queue file write error");
    }
    return;
  }
  reset_transaction();
  if (state_ != SessionState::kClosed) reply(250, "2.0.0", "Ok: queued as " + id);
  host_.accepted(id);
}

}  // namespace tern::smtpd

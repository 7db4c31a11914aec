// DsnBuilder: RFC 3464 multipart/report assembly (see dsn_builder.h).
#include "qmgr/dsn_builder.h"

#include <algorithm>
#include <cctype>
#include <ctime>

namespace tern::qmgr {
namespace {

constexpr std::string_view kCrlf = "\r\n";

std::string kind_of(const std::vector<DsnRecipient>& recipients) {
  bool failed = false, delayed = false;
  for (const auto& r : recipients) {
    failed |= r.action == "failed";
    delayed |= r.action == "delayed";
  }
  if (failed) return "failed";
  if (delayed) return "delayed";
  return "delivered";
}

// Header-field values come from peers: no CR or LF may reach the notice's header.
std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) out += (c == '\r' || c == '\n') ? ' ' : c;
  return out;
}

// "rfc822;addr" -> "rfc822; addr"; a bare address gets the rfc822 type.
std::string typed_address(std::string_view value) {
  auto semi = value.find(';');
  if (semi == std::string_view::npos) return "rfc822; " + one_line(value);
  std::string_view type = value.substr(0, semi);
  std::string_view addr = value.substr(semi + 1);
  while (!addr.empty() && addr.front() == ' ') addr.remove_prefix(1);
  return one_line(type) + "; " + one_line(addr);
}

bool looks_like_smtp_reply(std::string_view text) {
  return text.size() >= 3 && text[0] >= '2' && text[0] <= '5' && std::isdigit(static_cast<unsigned char>(text[1])) &&
         std::isdigit(static_cast<unsigned char>(text[2])) && (text.size() == 3 || text[3] == ' ' || text[3] == '-');
}

// LF -> CRLF where a bare LF ends a line, so that the notice has one line-end convention.
std::string with_crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out += '\r';
    out += text[i];
  }
  return out;
}

std::string human_part(const DsnInput& in, const std::string& kind) {
  std::string t;
  t += "This is the mail system at host " + in.reporting_mta + ".\r\n\r\n";
  if (kind == "failed") {
    t += "I'm sorry to have to inform you that your message could not\r\n"
         "be delivered to one or more recipients. It's attached below.\r\n\r\n"
         "For further assistance, please send mail to postmaster.\r\n\r\n"
         "If you do so, please include this problem report. You can\r\n"
         "delete your own text from the attached returned message.\r\n\r\n";
  } else if (kind == "delayed") {
    t += "Your message could not be delivered yet to one or more recipients.\r\n"
         "The mail system will keep trying; you need not send it again.\r\n\r\n";
  } else {
    t += "Your message was successfully delivered to the destination(s)\r\n"
         "listed below. If the message was delivered to a mailbox you will\r\n"
         "receive no further notifications. Otherwise you may still receive\r\n"
         "notifications of mail delivery errors from other systems.\r\n\r\n";
  }
  t += "                   The " + in.mail_name + " program\r\n\r\n";
  for (const auto& r : in.recipients) {
    t += "<" + one_line(r.address) + ">: " + r.action;
    if (!r.diagnostic.empty()) t += ": " + one_line(r.diagnostic);
    t += "\r\n";
  }
  return t;
}

std::string status_part(const DsnInput& in) {
  const proto::Envelope& env = *in.envelope;
  std::string t;
  t += "Reporting-MTA: dns; " + one_line(in.reporting_mta) + "\r\n";
  t += "X-Tern-Queue-ID: " + one_line(env.queue_id()) + "\r\n";
  if (!env.sender().empty()) t += "X-Tern-Sender: rfc822; " + one_line(env.sender()) + "\r\n";
  if (!env.envid().empty()) t += "Original-Envelope-Id: " + one_line(env.envid()) + "\r\n";
  t += "Arrival-Date: " + rfc5322_date(env.arrival_time_us()) + "\r\n";
  for (const auto& r : in.recipients) {
    t += "\r\n";
    t += "Final-Recipient: rfc822; " + one_line(r.address) + "\r\n";
    if (!r.orcpt.empty()) t += "Original-Recipient: " + typed_address(r.orcpt) + "\r\n";
    t += "Action: " + r.action + "\r\n";
    t += "Status: " + one_line(r.status) + "\r\n";
    if (!r.remote_mta.empty()) t += "Remote-MTA: dns; " + one_line(r.remote_mta) + "\r\n";
    if (!r.diagnostic.empty()) {
      t += looks_like_smtp_reply(r.diagnostic) ? "Diagnostic-Code: smtp; " : "Diagnostic-Code: X-Tern; ";
      t += one_line(r.diagnostic) + "\r\n";
    }
  }
  return t;
}

}  // namespace

std::string rfc5322_date(int64_t time_us) {
  time_t seconds = static_cast<time_t>(time_us / 1'000'000);
  struct tm tm {};
  gmtime_r(&seconds, &tm);
  char buf[64];
  strftime(buf, sizeof buf, "%a, %e %b %Y %H:%M:%S +0000", &tm);
  std::string out = buf;
  // %e pads the day with a space; RFC 5322 wants none.
  if (auto pos = out.find(",  "); pos != std::string::npos) out.erase(pos + 1, 1);
  return out;
}

std::string_view message_headers(std::string_view message) {
  if (message.starts_with("\r\n") || message.starts_with("\n")) return {};
  size_t end = std::min(message.find("\n\r\n"), message.find("\n\n"));
  return end == std::string_view::npos ? message : message.substr(0, end + 1);
}

std::string build_dsn(const DsnInput& in) {
  const proto::Envelope& env = *in.envelope;
  std::string kind = kind_of(in.recipients);
  std::string boundary = in.dsn_queue_id + "." + std::to_string(in.now_us / 1'000'000) + "/" +
                         one_line(in.reporting_mta);
  bool full = kind == "failed" && env.ret() != proto::RET_HDRS &&
              in.message.size() <= in.return_limit;

  std::string subject = kind == "failed"    ? "Undelivered Mail Returned to Sender"
                        : kind == "delayed" ? "Delayed Mail (still being retried)"
                                            : "Successful Mail Delivery Report";
  std::string m;
  m += "From: MAILER-DAEMON@" + one_line(in.reporting_mta) + " (Mail Delivery System)\r\n";
  m += "To: " + one_line(in.to) + "\r\n";
  m += "Subject: " + subject + "\r\n";
  m += "Date: " + rfc5322_date(in.now_us) + "\r\n";
  m += "Message-ID: <" + in.dsn_queue_id + "@" + one_line(in.reporting_mta) + ">\r\n";
  m += "Auto-Submitted: auto-replied\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: multipart/report; report-type=delivery-status;\r\n";
  m += "\tboundary=\"" + boundary + "\"\r\n";
  m += "Content-Transfer-Encoding: 8bit\r\n";
  m += "\r\nThis is a MIME-encapsulated message.\r\n\r\n";

  m += "--" + boundary + "\r\n";
  m += "Content-Description: Notification\r\n";
  m += "Content-Type: text/plain; charset=us-ascii\r\n\r\n";
  m += human_part(in, kind);
  m += "\r\n--" + boundary + "\r\n";
  m += "Content-Description: Delivery report\r\n";
  m += "Content-Type: message/delivery-status\r\n\r\n";
  m += status_part(in);
  m += "\r\n--" + boundary + "\r\n";
  if (full) {
    m += "Content-Description: Undelivered Message\r\n";
    m += "Content-Type: message/rfc822\r\n";
    m += "Content-Transfer-Encoding: 8bit\r\n\r\n";
    m += with_crlf(in.message);
    if (!in.message.empty() && in.message.back() != '\n') m += kCrlf;
  } else {
    m += "Content-Description: " + std::string(kind == "failed" ? "Undelivered Message Headers"
                                                                : "Message Headers") + "\r\n";
    m += "Content-Type: text/rfc822-headers\r\n\r\n";
    m += with_crlf(message_headers(in.message));
  }
  m += "\r\n--" + boundary + "--\r\n";
  return m;
}

}  // namespace tern::qmgr

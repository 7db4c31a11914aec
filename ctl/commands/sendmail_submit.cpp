// The SMTP dialogue with smtpd's public/submit socket (see sendmail_submit.h).
#include "ctl/commands/sendmail_submit.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>

#include "common/ipc/connect.h"
#include "common/spool/file_io.h"

namespace tern::ctl {
namespace {

constexpr size_t kMaxReplyBytes = 64 * 1024;

bool wait_fd(int fd, short events, int timeout_ms) {
  struct pollfd p {fd, events, 0};
  for (;;) {
    int n = ::poll(&p, 1, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    return n > 0;
  }
}

// send() all of bytes on a non-blocking socket, waiting at most timeout_ms for each piece.
bool send_all(int fd, std::string_view bytes, int timeout_ms) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && wait_fd(fd, POLLOUT, timeout_ms)) continue;
    return false;
  }
  return true;
}

struct Reply {
  int code = 0;
  std::vector<std::string> lines;  // the text after "ddd-" / "ddd "
  std::string text() const { return std::to_string(code) + " " + (lines.empty() ? "" : lines.back()); }
};

// One blocking-with-poll SMTP client connection.
class SmtpLink {
 public:
  explicit SmtpLink(int fd) : fd_(fd) {}

  bool send(std::string_view bytes, int timeout_ms) { return send_all(fd_.get(), bytes, timeout_ms); }

  // A whole (multi-line) reply, or nullopt on timeout, close or garbage.
  std::optional<Reply> read_reply(int timeout_ms) {
    Reply r;
    size_t used = 0;
    for (;;) {
      auto line = read_line(timeout_ms);
      if (!line || line->size() < 3) return std::nullopt;
      used += line->size();
      if (used > kMaxReplyBytes) return std::nullopt;
      int code = 0;
      for (int k = 0; k < 3; ++k) {
        char c = (*line)[static_cast<size_t>(k)];
        if (c < '0' || c > '9') return std::nullopt;
        code = code * 10 + (c - '0');
      }
      r.code = code;
      r.lines.push_back(line->size() > 4 ? line->substr(4) : "");
      if (line->size() == 3 || (*line)[3] == ' ') return r;
      if ((*line)[3] != '-') return std::nullopt;
    }
  }

 private:
  std::optional<std::string> read_line(int timeout_ms) {
    for (;;) {
      size_t lf = buffer_.find('\n');
      if (lf != std::string::npos) {
        std::string line = buffer_.substr(0, lf);
        buffer_.erase(0, lf + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line;
      }
      if (buffer_.size() > kMaxReplyBytes) return std::nullopt;
      char chunk[4096];
      ssize_t n = ::recv(fd_.get(), chunk, sizeof chunk, 0);
      if (n > 0) {
        buffer_.append(chunk, static_cast<size_t>(n));
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (!wait_fd(fd_.get(), POLLIN, timeout_ms)) return std::nullopt;
      } else {
        return std::nullopt;
      }
    }
  }

  spool::UniqueFd fd_;
  std::string buffer_;
};

bool has_extension(const Reply& ehlo, std::string_view name) {
  for (size_t i = 1; i < ehlo.lines.size(); ++i) {
    std::string word = ehlo.lines[i].substr(0, ehlo.lines[i].find(' '));
    for (char& c : word) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (word == name) return true;
  }
  return false;
}

bool non_ascii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  }
  return false;
}

std::string notify_param(uint32_t bits) {
  if (bits & 8) return "NEVER";
  std::string v;
  if (bits & 1) v += "SUCCESS,";
  if (bits & 2) v += "FAILURE,";
  if (bits & 4) v += "DELAY,";
  if (!v.empty()) v.pop_back();
  return v;
}

SubmitResult unavailable(std::string why) {
  SubmitResult r;
  r.outcome = SubmitOutcome::kUnavailable;
  r.detail = std::move(why);
  return r;
}

SubmitResult refused(int exit_code, std::string why) {
  SubmitResult r;
  r.outcome = SubmitOutcome::kRejected;
  r.exit_code = exit_code;
  r.detail = std::move(why);
  return r;
}

}  // namespace

std::string xtext_encode(const std::string& text) {
  std::string out;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 33 || u > 126 || c == '+' || c == '=') {
      char hex[4];
      std::snprintf(hex, sizeof hex, "+%02X", u);
      out += hex;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string dot_stuff(const std::string& message) {
  std::string out;
  out.reserve(message.size() + message.size() / 64);
  bool line_start = true;
  for (char c : message) {
    if (line_start && c == '.') out.push_back('.');
    out.push_back(c);
    line_start = c == '\n';
  }
  return out;
}

SubmitResult submit_message(const std::string& socket_path, const Submission& s, const std::string& message,
                            const SubmitTimeouts& t) {
  auto fd = ipc::connect_unix(socket_path);
  if (!fd) return unavailable(socket_path + ": " + fd.error().message);
  SmtpLink link(*fd);
  auto greeting = link.read_reply(t.greeting_ms);
  if (!greeting || greeting->code != 220) return unavailable("no greeting from smtpd");
  if (!link.send("EHLO " + s.helo + "\r\n", t.reply_ms)) return unavailable("connection lost");
  auto ehlo = link.read_reply(t.reply_ms);
  if (!ehlo || ehlo->code != 250) return unavailable("EHLO: " + (ehlo ? ehlo->text() : "no reply"));
  bool dsn = has_extension(*ehlo, "DSN");
  bool utf8 = non_ascii(s.sender);
  for (const auto& r : s.recipients) utf8 = utf8 || non_ascii(r);

  std::string mail = "MAIL FROM:<" + s.sender + ">";
  if (non_ascii(message) && has_extension(*ehlo, "8BITMIME")) mail += " BODY=8BITMIME";
  if (utf8 && has_extension(*ehlo, "SMTPUTF8")) mail += " SMTPUTF8";
  if (dsn && !s.ret.empty()) mail += " RET=" + s.ret;
  if (dsn && !s.envid.empty()) mail += " ENVID=" + xtext_encode(s.envid);
  if (!link.send(mail + "\r\n", t.reply_ms)) return unavailable("connection lost");
  auto mail_reply = link.read_reply(t.reply_ms);
  if (!mail_reply || mail_reply->code / 100 == 4) return unavailable("MAIL: " + (mail_reply ? mail_reply->text() : "no reply"));
  if (mail_reply->code != 250) return refused(65, "<" + s.sender + ">: " + mail_reply->text());

  SubmitResult result;
  size_t accepted = 0;
  for (const auto& rcpt : s.recipients) {
    std::string line = "RCPT TO:<" + rcpt + ">";
    if (dsn && s.notify != 0) line += " NOTIFY=" + notify_param(s.notify);
    if (!link.send(line + "\r\n", t.reply_ms)) return unavailable("connection lost");
    auto reply = link.read_reply(t.reply_ms);
    if (!reply || reply->code / 100 == 4) return unavailable("RCPT <" + rcpt + ">: " + (reply ? reply->text() : "no reply"));
    if (reply->code / 100 == 2) ++accepted;
    else result.refused.push_back(rcpt + ": " + reply->text());
  }
  if (accepted == 0) {
    SubmitResult r = refused(67, "no recipient was accepted");
    r.refused = std::move(result.refused);
    return r;
  }
  if (!link.send("DATA\r\n", t.reply_ms)) return unavailable("connection lost");
  auto go = link.read_reply(t.reply_ms);
  if (!go || go->code / 100 == 4) return unavailable("DATA: " + (go ? go->text() : "no reply"));
  if (go->code != 354) return refused(65, "DATA: " + go->text());
  if (!link.send(dot_stuff(message) + ".\r\n", t.reply_ms)) return unavailable("connection lost during DATA");
  auto done = link.read_reply(t.reply_ms);
  if (!done || done->code / 100 == 4) return unavailable("end of DATA: " + (done ? done->text() : "no reply"));
  if (done->code != 250) return refused(65, "message refused: " + done->text());
  link.send("QUIT\r\n", 1000);
  link.read_reply(1000);
  result.outcome = SubmitOutcome::kQueued;
  result.detail = done->text();
  return result;
}

int relay_smtp_stdio(const std::string& socket_path) {
  auto fd = ipc::connect_unix(socket_path);
  if (!fd) {
    std::printf("421 4.3.0 Mail system unavailable, try again later\r\n");
    std::fflush(stdout);
    std::fprintf(stderr, "sendmail: -bs: %s\n", fd.error().message.c_str());
    return 75;
  }
  spool::UniqueFd sock(*fd);
  bool stdin_open = true;
  char buf[16384];
  for (;;) {
    struct pollfd p[2] = {{sock.get(), POLLIN, 0}, {stdin_open ? STDIN_FILENO : -1, POLLIN, 0}};
    if (::poll(p, 2, 3'600'000) <= 0) {
      if (errno == EINTR) continue;
      return 75;  // an hour of silence on both sides, or poll failed
    }
    if (p[0].revents) {
      ssize_t n = ::recv(sock.get(), buf, sizeof buf, 0);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) return 0;  // smtpd closed: after QUIT, or it gave up on us
      if (!spool::write_all(STDOUT_FILENO, std::string_view(buf, static_cast<size_t>(n)), "stdout")) return 74;
    }
    if (stdin_open && p[1].revents) {
      ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        stdin_open = false;
        ::shutdown(sock.get(), SHUT_WR);
        continue;
      }
      if (!send_all(sock.get(), std::string_view(buf, static_cast<size_t>(n)), 300'000)) return 75;
    }
  }
}

}  // namespace tern::ctl

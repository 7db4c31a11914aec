// smtpd.session: the SMTP dialogue against a fake host (no sockets): pipelining, STARTTLS
// injection, smuggling, limits, and what reaches the "spool" (a temporary directory).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "common/spool/queue_file.h"
#include "smtpd/session.h"

namespace tern::smtpd {
namespace {

// A spool with incoming/ and queue/ in a temporary directory.
struct TempSpool {
  std::string path;
  int fd = -1;
  TempSpool() {
    char tmpl[] = "/tmp/smtpd-session-test-XXXXXX";
    path = mkdtemp(tmpl);
    mkdir((path + "/incoming").c_str(), 0700);
    mkdir((path + "/queue").c_str(), 0700);
    fd = open(path.c_str(), O_RDONLY | O_DIRECTORY);
  }
  ~TempSpool() {
    close(fd);
    std::filesystem::remove_all(path);
  }
  std::vector<std::string> queued() const {
    std::vector<std::string> out;
    for (auto& e : std::filesystem::directory_iterator(path + "/queue")) out.push_back(e.path().string());
    return out;
  }
  size_t incoming() const {
    return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(path + "/incoming"), {}));
  }
};

class FakeHost : public SessionHost {
 public:
  explicit FakeHost(int spool_fd) : spool_fd_(spool_fd) {}
  std::string out;
  bool closed = false;
  bool tls_started = false;
  int accepted_count = 0;
  std::deque<std::function<void()>> pending;  // callbacks the "loop" runs later
  proto::Resolution::Class klass = proto::Resolution::LOCAL;
  bool credentials_ok = true;
  int ids = 0;

  void send(std::string_view bytes) override { out.append(bytes); }
  void close() override { closed = true; }
  void set_reading(bool) override {}
  bool start_tls() override {
    tls_started = true;
    return true;
  }
  void lookup(proto::LookupRequest request, std::function<void(Result<proto::LookupReply>)> done) override {
    proto::LookupReply reply;
    if (request.has_resolve()) {
      auto* r = reply.add_resolutions();
      r->set_address(request.resolve().address());
      std::string a = request.resolve().address();
      r->set_klass(a.ends_with("@example.com") ? (a.starts_with("nobody@") ? proto::Resolution::UNKNOWN : klass)
                                               : proto::Resolution::RELAY);
    }
    reply.set_credentials_ok(credentials_ok);
    pending.push_back([done, reply] { done(reply); });
  }
  void after(uint64_t, std::function<void()> fn) override { pending.push_back(std::move(fn)); }
  std::string new_queue_id() override {
    ++ids;
    return std::string("0000000000") + static_cast<char>('0' + ids) + "00001";
  }
  Result<spool::QueueFileWriter> create_queue_file(const proto::Envelope& e) override {
    return spool::QueueFileWriter::create(spool_fd_, e.queue_id(), e);
  }
  void commit(spool::QueueFileWriter writer, std::function<void(Result<void>)> done) override {
    auto shared = std::make_shared<spool::QueueFileWriter>(std::move(writer));
    pending.push_back([shared, done] { done(shared->commit()); });
  }
  void accepted(const std::string&) override { ++accepted_count; }
  int64_t now_us() override { return 1700000000000000; }

  void run() {
    while (!pending.empty()) {
      auto fn = std::move(pending.front());
      pending.pop_front();
      fn();
    }
  }
  // The reply lines since the last call.
  std::vector<std::string> take_lines() {
    std::vector<std::string> lines;
    size_t start = 0;
    while (true) {
      size_t end = out.find("\r\n", start);
      if (end == std::string::npos) break;
      lines.push_back(out.substr(start, end - start));
      start = end + 2;
    }
    out.clear();
    return lines;
  }

 private:
  int spool_fd_;
};

std::shared_ptr<const Settings> settings(const std::string& text = "") {
  auto config = config::Config::parse("myhostname = mx.example.com\n" + text, "test.conf");
  REQUIRE(config.has_value());
  auto s = Settings::from_config(*config);
  REQUIRE(s.has_value());
  return *s;
}

struct Fixture {
  TempSpool spool;
  FakeHost host{spool.fd};
  std::unique_ptr<Session> session;
  explicit Fixture(const std::string& conf = "", Role role = Role::kSmtp, bool tls = false) {
    ClientIdentity id;
    id.role = role;
    id.address = "192.0.2.9";
    session = std::make_unique<Session>(host, settings(conf), id, tls);
    session->start();
    host.take_lines();
  }
  std::vector<std::string> say(std::string_view bytes) {
    session->on_input(bytes);
    host.run();
    return host.take_lines();
  }
};

// Codes of reply lines (last line of each multi-line reply only).
std::vector<int> codes(const std::vector<std::string>& lines) {
  std::vector<int> out;
  for (const auto& l : lines) {
    if (l.size() >= 4 && l[3] == ' ') out.push_back(std::stoi(l.substr(0, 3)));
  }
  return out;
}

TEST_SUITE("smtpd.session") {
  TEST_CASE("a pipelined transaction is queued once, durable, with a Received header") {
    Fixture f;
    auto lines = f.say(
        "EHLO client.example\r\nMAIL FROM:<a@remote.example>\r\nRCPT TO:<known@example.com>\r\nDATA\r\n"
        "Subject: x\r\n\r\n..dot\r\n.\r\nQUIT\r\n");
    CHECK(codes(lines) == std::vector<int>{250, 250, 250, 354, 250, 221});
    CHECK(lines[lines.size() - 2].starts_with("250 2.0.0 Ok: queued as "));
    auto queued = f.spool.queued();
    REQUIRE(queued.size() == 1);
    CHECK(f.spool.incoming() == 0);
    CHECK(f.host.accepted_count == 1);
    int fd = open(queued[0].c_str(), O_RDONLY);
    auto parsed = spool::read_queue_fd(fd, queued[0]);
    REQUIRE(parsed.has_value());
    CHECK(parsed->envelope.sender() == "a@remote.example");
    CHECK(parsed->envelope.recipients(0).address() == "known@example.com");
    CHECK(parsed->envelope.client().protocol() == "ESMTP");
    std::string content(parsed->message_length, '\0');
    CHECK(pread(fd, content.data(), content.size(), static_cast<off_t>(parsed->message_offset)) ==
          static_cast<ssize_t>(content.size()));
    close(fd);
    CHECK(content.starts_with("Received: from client.example (unknown [192.0.2.9])\r\n\tby mx.example.com (Tern) with ESMTP id "));
    CHECK(content.ends_with("\r\nSubject: x\r\n\r\n.dot\r\n"));
  }

  TEST_CASE("STARTTLS: pipelined commands behind it are discarded") {
    Fixture f("", Role::kSmtp, true);
    auto lines = f.say("EHLO c\r\nSTARTTLS\r\nRSET\r\nNOOP\r\n");
    CHECK(codes(lines) == std::vector<int>{250, 220});
    CHECK(f.host.tls_started);
    f.session->tls_established("TLSv1.3", "TLS_AES_128_GCM_SHA256", 128);
    CHECK(f.session->state() == SessionState::kConnected);
    CHECK(codes(f.say("NOOP\r\n")) == std::vector<int>{250});
  }

  TEST_CASE("smuggling payloads never make two messages") {
    const char* payloads[] = {"\n.\n", "\r.\r", "\n.\r\n", "\r\n.\r"};
    for (const char* p : payloads) {
      INFO(std::string(p).size());
      Fixture f;
      std::string msg = std::string("EHLO c\r\nMAIL FROM:<a@r.example>\r\nRCPT TO:<known@example.com>\r\nDATA\r\n"
                                    "x") + p + "MAIL FROM:<evil@r.example>\r\nRCPT TO:<known@example.com>\r\nDATA\r\n"
                                    "smuggled\r\n.\r\nQUIT\r\n";
      auto lines = f.say(msg);
      CHECK(f.spool.queued().empty());
      CHECK(codes(lines) == std::vector<int>{250, 250, 250, 354, 550, 221});
    }
  }

  TEST_CASE("relay and unknown users at RCPT") {
    Fixture f;
    auto lines = f.say("EHLO c\r\nMAIL FROM:<a@r.example>\r\nRCPT TO:<x@remote.example>\r\n"
                       "RCPT TO:<nobody@example.com>\r\nRCPT TO:<u%remote.example@example.com>\r\nDATA\r\n");
    CHECK(codes(lines) == std::vector<int>{250, 250, 454, 550, 454, 554});
  }

  TEST_CASE("order of commands") {
    Fixture f;
    CHECK(codes(f.say("RCPT TO:<a@example.com>\r\n")) == std::vector<int>{503});
    CHECK(codes(f.say("DATA\r\n")) == std::vector<int>{503});
    CHECK(codes(f.say("MAIL FROM:<a@b.example>\r\nMAIL FROM:<a@b.example>\r\n")) == std::vector<int>{250, 503});
    CHECK(codes(f.say("DATA\r\n")) == std::vector<int>{503});
    CHECK(codes(f.say("VRFY root\r\nEXPN staff\r\nHELP\r\nXYZZY\r\n")) == std::vector<int>{252, 502, 214, 502});
  }

  TEST_CASE("limits: line length, NUL, recipients, SIZE, hard errors") {
    Fixture f("smtpd_recipient_limit = 1\nmessage_size_limit = 100\nsmtpd_hard_error_limit = 5\n");
    CHECK(codes(f.say(std::string(3000, 'A') + "\r\n")) == std::vector<int>{500});
    CHECK(codes(f.say(std::string("NOOP\0x\r\n", 8))) == std::vector<int>{500});
    CHECK(codes(f.say("MAIL FROM:<a@b.example> SIZE=1000\r\n")) == std::vector<int>{552});
    CHECK(codes(f.say("MAIL FROM:<a@b.example> SIZE=10\r\nRCPT TO:<k@example.com>\r\nRCPT TO:<j@example.com>\r\n")) ==
          std::vector<int>{250, 250, 452});
    auto lines = f.say("XX\r\n");
    CHECK(codes(lines) == std::vector<int>{502, 421});
    CHECK(f.host.closed);
  }

  TEST_CASE("message too big leaves nothing") {
    Fixture f("message_size_limit = 100\n");
    auto lines = f.say("EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<k@example.com>\r\nDATA\r\n" +
                       std::string(500, 'x') + "\r\n.\r\n");
    CHECK(codes(lines).back() == 552);
    CHECK(f.spool.queued().empty());
    CHECK(f.spool.incoming() == 0);
  }

  TEST_CASE("BDAT: chunks, LAST, and a refused chunk is skipped") {
    Fixture f;
    auto lines = f.say("EHLO c\r\nBDAT 5\r\nhelloMAIL FROM:<a@b.example>\r\nRCPT TO:<k@example.com>\r\n"
                       "BDAT 7\r\nSubj\r\nxBDAT 3 LAST\r\ny\r\nQUIT\r\n");
    CHECK(codes(lines) == std::vector<int>{250, 503, 250, 250, 250, 250, 221});
    CHECK(f.spool.queued().size() == 1);
  }

  TEST_CASE("submission requires AUTH; AUTH needs TLS") {
    Fixture f("smtpd_sasl_auth_enable = yes\n", Role::kSubmission, true);
    CHECK(codes(f.say("EHLO c\r\nMAIL FROM:<a@b.example>\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n")) ==
          std::vector<int>{250, 530, 503});
    f.say("STARTTLS\r\n");
    f.session->tls_established("TLSv1.3", "TLS_AES_128_GCM_SHA256", 128);
    auto ehlo = f.say("EHLO c\r\n");
    CHECK(std::find(ehlo.begin(), ehlo.end(), "250-AUTH PLAIN LOGIN") != ehlo.end());
    // \0alice@example.com\0secret
    CHECK(codes(f.say("AUTH PLAIN AGFsaWNlQGV4YW1wbGUuY29tAHNlY3JldA==\r\n")) == std::vector<int>{235});
    CHECK(codes(f.say("MAIL FROM:<bob@example.com>\r\n")) == std::vector<int>{553});
    CHECK(codes(f.say("MAIL FROM:<alice@example.com>\r\nRCPT TO:<x@remote.example>\r\n")) ==
          std::vector<int>{250, 250});
  }

  TEST_CASE("AUTH failures are answered 535 and end in a disconnect") {
    Fixture f("smtpd_sasl_auth_enable = yes\nsmtpd_tls_auth_only = no\n");
    f.host.credentials_ok = false;
    CHECK(codes(f.say("EHLO c\r\nAUTH LOGIN\r\nYWxpY2U=\r\nd3Jvbmc=\r\n")) == std::vector<int>{250, 334, 334, 535});
    CHECK(codes(f.say("AUTH PLAIN AGFsaWNlAHdyb25n\r\n")) == std::vector<int>{535});
    CHECK(codes(f.say("AUTH PLAIN AGFsaWNlAHdyb25n\r\n")) == std::vector<int>{535, 421});
    CHECK(f.host.closed);
  }

  TEST_CASE("DSN parameters reach the envelope") {
    Fixture f;
    f.say("EHLO c\r\nMAIL FROM:<a@b.example> RET=HDRS ENVID=abc+2Bd\r\n"
          "RCPT TO:<k@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;k@example.com\r\nDATA\r\nx\r\n.\r\n");
    auto queued = f.spool.queued();
    REQUIRE(queued.size() == 1);
    int fd = open(queued[0].c_str(), O_RDONLY);
    auto parsed = spool::read_queue_fd(fd, queued[0]);
    close(fd);
    REQUIRE(parsed.has_value());
    CHECK(parsed->envelope.ret() == proto::RET_HDRS);
    CHECK(parsed->envelope.envid() == "abc+2Bd");
    CHECK(parsed->envelope.recipients(0).notify() == 3u);
    CHECK(parsed->envelope.recipients(0).orcpt() == "rfc822;k@example.com");
  }
}

}  // namespace
}  // namespace tern::smtpd

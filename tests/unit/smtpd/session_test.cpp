// smtpd.session: the SMTP dialogue against a fake host (no sockets): pipelining, STARTTLS
// injection, smuggling, limits, and what reaches the "spool" (a temporary directory).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
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
  std::map<std::string, std::string> access;  // every check_*_access table: key -> value
  std::vector<std::string> table_queries;     // "parameter table key"

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
    if (request.has_table()) {
      const proto::TableQuery& q = request.table();
      table_queries.push_back(q.parameter() + " " + q.table() + " " + q.key());
      std::vector<std::string> keys = {q.key()};
      keys.insert(keys.end(), q.keys().begin(), q.keys().end());
      for (const auto& key : keys) {
        auto it = access.find(key);
        if (it == access.end()) continue;
        reply.set_found(true);
        reply.add_values(it->second);
        break;
      }
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
  TEST_CASE("restrictions: smtpd_delay_reject = yes answers a refused sender at each RCPT, in order") {
    Fixture f("smtpd_sender_restrictions = check_sender_access texthash:/etc/tern/senders\n");
    f.host.access["spam.example"] = "REJECT";
    auto lines = f.say("EHLO client.example\r\nMAIL FROM:<a@spam.example>\r\nRCPT TO:<known@example.com>\r\n"
                       "RCPT TO:<known@example.com>\r\nDATA\r\nRSET\r\nMAIL FROM:<b@good.example>\r\n"
                       "RCPT TO:<known@example.com>\r\nQUIT\r\n");
    CHECK(codes(lines) == std::vector<int>{250, 250, 554, 554, 554, 250, 250, 250, 221});
    CHECK(std::count(lines.begin(), lines.end(), "554 5.7.1 <a@spam.example>: Sender address rejected: Access denied") == 2);
    REQUIRE_FALSE(f.host.table_queries.empty());
    CHECK(f.host.table_queries[0] == "smtpd_sender_restrictions texthash:/etc/tern/senders a@spam.example");
    CHECK(f.spool.incoming() == 0);
  }

  TEST_CASE("restrictions: smtpd_delay_reject = no answers each list at its own command") {
    Fixture f("smtpd_delay_reject = no\n"
              "smtpd_helo_restrictions = reject_non_fqdn_helo_hostname\n"
              "smtpd_sender_restrictions = check_sender_access texthash:/etc/tern/senders\n");
    f.host.access["spam.example"] = "550 5.7.0 Not you";
    auto lines = f.say("EHLO client\r\nEHLO client.example\r\nMAIL FROM:<a@spam.example>\r\n"
                       "MAIL FROM:<b@good.example>\r\nRCPT TO:<known@example.com>\r\n");
    CHECK(codes(lines) == std::vector<int>{504, 250, 550, 250, 250});
    CHECK(lines[0] == "504 5.5.2 <client>: Helo command rejected: need fully-qualified hostname");
    CHECK(lines[lines.size() - 3] == "550 5.7.0 <a@spam.example>: Sender address rejected: Not you");
  }

  TEST_CASE("restrictions: a client refused at connect gets 503 for all but QUIT") {
    TempSpool spool;
    FakeHost host{spool.fd};
    host.access["192.0.2"] = "REJECT";
    ClientIdentity id;
    id.address = "192.0.2.9";
    Session session(host, settings("smtpd_delay_reject = no\n"
                                   "smtpd_client_restrictions = check_client_access texthash:/etc/tern/clients\n"),
                    id, false);
    session.start();
    host.run();
    CHECK(host.take_lines() ==
          std::vector<std::string>{"554 5.7.1 <unknown[192.0.2.9]>: Client host rejected: Access denied"});
    session.on_input("EHLO client.example\r\nQUIT\r\n");
    host.run();
    CHECK(host.take_lines() == std::vector<std::string>{"503 5.7.0 Error: access denied for unknown[192.0.2.9]",
                                                        "221 2.0.0 Bye"});
  }

  TEST_CASE("restrictions: data sent before the 354 is refused by reject_unauth_pipelining") {
    // Waiting for the 354 is fine (EHLO ends a group of its own: RFC 2920 §3.1).
    Fixture f("smtpd_data_restrictions = reject_unauth_pipelining\n");
    f.say("EHLO client.example\r\n");
    auto lines = f.say("MAIL FROM:<a@remote.example>\r\nRCPT TO:<known@example.com>\r\nDATA\r\n");
    CHECK(codes(lines) == std::vector<int>{250, 250, 354});
    Fixture g("smtpd_data_restrictions = reject_unauth_pipelining\n");
    g.say("EHLO client.example\r\n");
    lines = g.say("MAIL FROM:<a@remote.example>\r\nRCPT TO:<known@example.com>\r\nDATA\r\nSubject: x\r\n");
    REQUIRE(lines.size() == 4);
    CHECK(lines[2] == "503 5.5.0 <DATA>: Data command rejected: Improper use of SMTP command pipelining");
    // A client that sends MAIL behind EHLO did not wait for the list of extensions either.
    Fixture h("smtpd_data_restrictions = reject_unauth_pipelining\n");
    lines = h.say("EHLO client.example\r\nMAIL FROM:<a@remote.example>\r\nRCPT TO:<known@example.com>\r\n");
    lines = h.say("DATA\r\n");
    CHECK(codes(lines) == std::vector<int>{503});
    CHECK(g.spool.incoming() == 0);
  }

  TEST_CASE("restrictions: the data list applies at the first BDAT; a refused chunk is read and dropped") {
    Fixture f("smtpd_data_restrictions = check_client_access texthash:/etc/tern/clients\n");
    f.host.access["192.0.2.9"] = "REJECT No data from you";
    f.say("EHLO client.example\r\n");
    auto lines = f.say("MAIL FROM:<a@remote.example>\r\nRCPT TO:<known@example.com>\r\nBDAT 5 LAST\r\nhelloNOOP\r\n");
    CHECK(lines == std::vector<std::string>{"250 2.1.0 Ok", "250 2.1.5 Ok",
                                            "554 5.7.1 <unknown[192.0.2.9]>: Client host rejected: No data from you",
                                            "250 2.0.0 Ok"});
    CHECK(f.spool.incoming() == 0);
    CHECK(f.spool.queued().empty());
  }

  TEST_CASE("restrictions: local submission is not subject to the client, HELO, sender and data lists") {
    Fixture f("smtpd_client_restrictions = reject\nsmtpd_data_restrictions = reject\n", Role::kLocal);
    auto lines = f.say("EHLO localhost\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<known@example.com>\r\nDATA\r\n");
    CHECK(codes(lines) == std::vector<int>{250, 250, 250, 354});
  }
}

}  // namespace
}  // namespace tern::smtpd

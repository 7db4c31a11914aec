// Tests for smtpd/content_filter.h: header_checks and body_checks on a message streamed in
// pieces -- the bytes that reach the queue file, the verdict, and what is reported for the log.
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "smtpd/content_filter.h"

namespace tern::smtpd {
namespace {

tables::CheckTables tables_of(std::string_view text) {
  if (text.empty()) return {};
  auto t = tables::RegexpTable::parse(text, "checks", tables::RegexpDialect::kRegexp);
  REQUIRE_MESSAGE(t.has_value(), (t ? "" : t.error().message));
  std::vector<tables::RegexpTable> list;
  list.push_back(std::move(*t));
  return tables::CheckTables(std::move(list));
}

struct Run {
  std::string stored;
  std::vector<std::string> reports;  // "action where line: text"
  ContentFilter::Verdict verdict;
};

// Feeds message in pieces of `piece` bytes (0: all at once).
Run run(const tables::ContentChecks& checks, std::string_view message, size_t piece = 0) {
  Run r;
  ContentFilter f(
      std::make_shared<const tables::ContentChecks>(checks), 2048, [&](std::string_view b) { r.stored.append(b); },
      [&](std::string_view action, std::string_view where, std::string_view line, std::string_view text) {
        r.reports.push_back(std::string(action) + " " + std::string(where) + " " + std::string(line) + ": " +
                            std::string(text));
      });
  if (piece == 0) piece = message.size() + 1;
  for (size_t i = 0; i < message.size(); i += piece) f.feed(message.substr(i, piece));
  f.finish();
  r.verdict = f.verdict();
  return r;
}

constexpr std::string_view kMessage =
    "Received: from x\r\n"
    "Subject: hello\r\n"
    " folded world\r\n"
    "X-Spam: yes\r\n"
    "X-Mailer: Foo 1.0\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "line one\r\n"
    "secret line\r\n"
    "Subject: not a header here\r\n";

TEST_SUITE("smtpd.content_filter") {
  TEST_CASE("header and body actions, whatever the piece size") {
    tables::ContentChecks checks;
    checks.header = tables_of(
        "/^Subject: hello folded world$/ PREPEND X-Seen: yes\n"
        "/^X-Spam:/ IGNORE\n"
        "/^X-Mailer: (.*)$/ REPLACE X-Mailer: hidden ($1)\n"
        "/^Content-Type:/ REJECT only mime_header_checks see this\n");
    checks.mime_header = tables_of("/^Content-Type:/ WARN mime\n");
    checks.body = tables_of("/^secret/ IGNORE\n/^Subject:/ PREPEND body prefix\n");
    const std::string want =
        "Received: from x\r\n"
        "X-Seen: yes\r\n"
        "Subject: hello\r\n"
        " folded world\r\n"
        "X-Mailer: hidden (Foo 1.0)\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "line one\r\n"
        "body prefix\r\n"
        "Subject: not a header here\r\n";
    for (size_t piece : {0, 1, 2, 3, 7, 64}) {
      INFO("piece " << piece);
      Run r = run(checks, kMessage, piece);
      CHECK(r.stored == want);
      CHECK(r.verdict.kind == ContentFilter::Verdict::Kind::kAccept);
      CHECK(r.reports == std::vector<std::string>{
                             "prepend header Subject: hello folded world: X-Seen: yes",
                             "replace header X-Mailer: Foo 1.0: X-Mailer: hidden (Foo 1.0)",
                             "warning header Content-Type: text/plain: mime",
                             "prepend body Subject: not a header here: body prefix"});
    }
  }

  TEST_CASE("REJECT and DISCARD end the inspection") {
    struct Row {
      std::string_view name;
      std::string_view header, body;
      ContentFilter::Verdict::Kind kind;
      int code;
      std::string_view enhanced, text;
      size_t reports;
    };
    using K = ContentFilter::Verdict::Kind;
    const Row rows[] = {
        {"REJECT with text", "/^Subject:.*world/ REJECT no worlds\n/^X-Spam:/ REJECT second\n", "", K::kReject, 550,
         "5.7.1", "no worlds", 1},
        {"REJECT default text", "/^X-Spam:/ REJECT\n", "", K::kReject, 550, "5.7.1", "message content rejected", 1},
        {"REJECT with its own code", "/^X-Spam:/ REJECT 4.7.0 later\n", "", K::kReject, 451, "4.7.0", "later", 1},
        {"body REJECT", "", "/^secret/ REJECT body says no\n", K::kReject, 550, "5.7.1", "body says no", 1},
        {"DISCARD", "/^X-Spam:/ DISCARD gone\n", "/^secret/ REJECT not reached\n", K::kDiscard, 250, "", "gone", 1},
        {"WARN only", "/^X-Spam:/ WARN\n", "", K::kAccept, 250, "", "", 1},
    };
    for (const auto& row : rows) {
      INFO(row.name);
      tables::ContentChecks checks;
      checks.header = tables_of(row.header);
      checks.mime_header = tables_of(row.header);
      checks.body = tables_of(row.body);
      Run r = run(checks, kMessage, 5);
      CHECK(r.verdict.kind == row.kind);
      if (row.kind == K::kReject) {
        CHECK(r.verdict.code == row.code);
        CHECK(r.verdict.enhanced == row.enhanced);
      }
      CHECK(r.verdict.text == row.text);
      CHECK(r.reports.size() == row.reports);
    }
  }

  TEST_CASE("limits: header_size_limit and body_checks_size_limit") {
    tables::ContentChecks checks;
    checks.header_size_limit = 40;
    checks.body_checks_size_limit = 12;
    checks.header = tables_of("/^X-Long: a+$/ IGNORE\n");
    checks.body = tables_of("/^bad/ REJECT\n");
    // The long header is judged on its first 40 bytes (all a's) and removed whole.
    std::string long_header = "X-Long: " + std::string(30, 'a') + "\r\n " + std::string(100, 'b') + "\r\n";
    Run r = run(checks, "From: a\r\n" + long_header + "\r\nline one 12\r\nbad\r\n", 9);
    CHECK(r.stored == "From: a\r\n\r\nline one 12\r\nbad\r\n");  // "bad" is past the 12 body bytes
    CHECK(r.verdict.kind == ContentFilter::Verdict::Kind::kAccept);
    Run early = run(checks, "From: a\r\n\r\nbad\r\n", 4);
    CHECK(early.verdict.kind == ContentFilter::Verdict::Kind::kReject);
  }

  TEST_CASE("a header section without a blank line, and a last line without its end") {
    tables::ContentChecks checks;
    checks.header = tables_of("/^Subject: last$/ REPLACE Subject: changed\n");
    Run r = run(checks, "From: a\r\nSubject: last", 3);
    CHECK(r.stored == "From: a\r\nSubject: changed\r\n");
    Run body_start = run(checks, "From: a\r\nnot a header\r\nSubject: last\r\n", 3);
    CHECK(body_start.stored == "From: a\r\nnot a header\r\nSubject: last\r\n");  // body lines now
  }

  TEST_CASE("any split gives the same bytes; without a match the message is unchanged") {
    tables::ContentChecks checks;
    checks.header_size_limit = 64;
    checks.body_checks_size_limit = 100;
    checks.header = tables_of("/^X-Never-Seen:/ REJECT\n");
    checks.body = tables_of("/^never seen$/ REJECT\n");
    const std::string messages[] = {
        std::string(kMessage),
        "Subject: x\r\n " + std::string(200, 'y') + "\r\n\r\n" + std::string(5000, 'z') + "\r\nend\r\n",
        "no header at all\r\nline\r\n",
        "Subject: bare\nLF and bare\rCR\r\n\r\nbody",
        "",
        "\r\n",
        "A: b\r\n\tc\r\n \r\nD:e",
    };
    unsigned seed = 12345;
    for (const std::string& m : messages) {
      INFO(m.substr(0, 40));
      CHECK(run(checks, m).stored == m);
      for (int trial = 0; trial < 50; ++trial) {
        seed = seed * 1103515245 + 12345;
        size_t piece = 1 + (seed >> 16) % 97;
        INFO("piece " << piece);
        Run r = run(checks, m, piece);
        CHECK(r.stored == m);
        CHECK(r.verdict.kind == ContentFilter::Verdict::Kind::kAccept);
        CHECK(r.reports.empty());
      }
    }
  }
}

}  // namespace
}  // namespace tern::smtpd

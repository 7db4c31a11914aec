// Tests for the DsnBuilder: the multipart/report structure, the per-recipient fields of the
// message/delivery-status part, and RET (whole message or headers only).
#include <doctest/doctest.h>

#include <string>

#include "qmgr/dsn_builder.h"

namespace tern::qmgr {
namespace {

constexpr int64_t kNow = 1'700'000'000'000'000;
constexpr const char* kOriginal =
    "From: alice@example.org\r\nSubject: hello\r\nMessage-ID: <m1@example.org>\r\n\r\nthe body\r\n";

proto::Envelope envelope(proto::DsnRet ret) {
  proto::Envelope env;
  env.set_queue_id("0123456789ABCDEF");
  env.set_sender("alice@example.org");
  env.set_arrival_time_us(kNow - 3600'000'000LL);
  env.set_ret(ret);
  env.set_envid("ENV-1");
  return env;
}

DsnInput input(const proto::Envelope& env, std::vector<DsnRecipient> recipients) {
  DsnInput in;
  in.envelope = &env;
  in.message = kOriginal;
  in.reporting_mta = "mx.tern.test";
  in.to = env.sender();
  in.dsn_queue_id = "0123456789ABCDEG";
  in.now_us = kNow;
  in.recipients = std::move(recipients);
  return in;
}

bool has(const std::string& text, const std::string& piece) {
  return text.find(piece) != std::string::npos;
}

TEST_SUITE("qmgr.dsn_builder") {
  TEST_CASE("a failure report carries every RFC 3464 field and the whole message") {
    auto env = envelope(proto::RET_UNSPECIFIED);
    std::string dsn = build_dsn(input(env, {
        {"bob@example.net", "rfc822;Bob@Example.NET", "failed", "5.1.1",
         "550 5.1.1 <bob@example.net>: user unknown", "mx.example.net"},
        {"carol@example.net", "", "failed", "4.4.1", "connect to example.net: refused", ""},
    }));
    const char* want[] = {
        "To: alice@example.org\r\n",
        "Subject: Undelivered Mail Returned to Sender\r\n",
        "Auto-Submitted: auto-replied\r\n",
        "Content-Type: multipart/report; report-type=delivery-status;",
        "Content-Type: text/plain",
        "Content-Type: message/delivery-status\r\n",
        "Reporting-MTA: dns; mx.tern.test\r\n",
        "Original-Envelope-Id: ENV-1\r\n",
        "Arrival-Date: Tue, 14 Nov 2023 21:13:20 +0000\r\n",
        "Final-Recipient: rfc822; bob@example.net\r\nOriginal-Recipient: rfc822; Bob@Example.NET\r\n"
        "Action: failed\r\nStatus: 5.1.1\r\nRemote-MTA: dns; mx.example.net\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <bob@example.net>: user unknown\r\n",
        "Final-Recipient: rfc822; carol@example.net\r\nAction: failed\r\nStatus: 4.4.1\r\n"
        "Diagnostic-Code: X-Tern; connect to example.net: refused\r\n",
        "Content-Type: message/rfc822\r\n",
        "the body\r\n",
        "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n",
    };
    for (const char* piece : want) {
      INFO("missing: ", piece);
      CHECK(has(dsn, piece));
    }
    CHECK(dsn.ends_with("--\r\n"));
  }

  TEST_CASE("RET=HDRS, success notices and oversized messages return the headers only") {
    struct Row { const char* name; proto::DsnRet ret; const char* action; size_t limit; };
    const Row rows[] = {
        {"RET=HDRS", proto::RET_HDRS, "failed", 50000},
        {"success", proto::RET_FULL, "delivered", 50000},
        {"too large", proto::RET_FULL, "failed", 10},
    };
    for (const auto& row : rows) {
      INFO(row.name);
      auto env = envelope(row.ret);
      DsnInput in = input(env, {{"bob@example.net", "", row.action, "2.0.0", "", ""}});
      in.return_limit = row.limit;
      std::string dsn = build_dsn(in);
      CHECK(has(dsn, "Content-Type: text/rfc822-headers\r\n\r\nFrom: alice@example.org\r\n"));
      CHECK(has(dsn, "Subject: hello\r\n"));
      CHECK_FALSE(has(dsn, "the body"));
      CHECK_FALSE(has(dsn, "message/rfc822"));
    }
  }

  TEST_CASE("subjects follow the kind of report") {
    struct Row { const char* action; const char* subject; };
    const Row rows[] = {{"failed", "Undelivered Mail Returned to Sender"},
                        {"delayed", "Delayed Mail (still being retried)"},
                        {"relayed", "Successful Mail Delivery Report"}};
    for (const auto& row : rows) {
      INFO(row.action);
      auto env = envelope(proto::RET_UNSPECIFIED);
      std::string dsn = build_dsn(input(env, {{"b@x", "", row.action, "4.0.0", "", ""}}));
      CHECK(has(dsn, std::string("Subject: ") + row.subject + "\r\n"));
      CHECK(has(dsn, std::string("Action: ") + row.action + "\r\n"));
    }
  }

  TEST_CASE("peer text cannot add header lines") {
    auto env = envelope(proto::RET_UNSPECIFIED);
    std::string dsn = build_dsn(input(env, {{"b@x", "", "failed", "5.0.0",
                                             "550 no\r\nX-Injected: yes", ""}}));
    CHECK_FALSE(has(dsn, "\nX-Injected"));
  }

  TEST_CASE("message_headers stops at the first empty line") {
    struct Row { const char* name; const char* message; const char* want; };
    const Row rows[] = {
        {"crlf", "A: 1\r\nB: 2\r\n\r\nbody\r\n", "A: 1\r\nB: 2\r\n"},
        {"lf", "A: 1\nB: 2\n\nbody\n", "A: 1\nB: 2\n"},
        {"no body", "A: 1\r\n", "A: 1\r\n"},
        {"no headers", "\r\nbody\r\n", ""},
    };
    for (const auto& row : rows) {
      INFO(row.name);
      CHECK(std::string(message_headers(row.message)) == row.want);
    }
  }
}

}  // namespace
}  // namespace tern::qmgr

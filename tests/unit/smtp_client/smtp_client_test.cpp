// smtp's pure parts: reply framing, EHLO capabilities, DATA encoding, nexthops, SASL.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "smtp/capabilities.h"
#include "smtp/data_encoder.h"
#include "smtp/nexthop.h"
#include "smtp/reply_reader.h"
#include "smtp/sasl.h"

namespace tern::smtp {
namespace {

TEST_SUITE("smtp_client.reply") {
TEST_CASE("replies are framed, split anywhere") {
  struct Row { const char* name; std::string input; int code; size_t lines; std::string text; std::string enhanced; };
  std::vector<Row> rows = {
      {"one line", "250 2.0.0 ok\r\n", 250, 1, "250 2.0.0 ok", "2.0.0"},
      {"multi-line", "250-a\r\n250-b\r\n250 c\r\n", 250, 3, "250 a b c", ""},
      {"bare code", "354\r\n", 354, 1, "354 ", ""},
      {"bare LF", "550 5.1.1 no\n", 550, 1, "550 5.1.1 no", "5.1.1"},
      {"enhanced class must match", "450 5.1.1 odd\r\n", 450, 1, "450 5.1.1 odd", ""},
  };
  for (const auto& row : rows) {
    for (size_t split = 0; split <= row.input.size(); ++split) {
      INFO(row.name << " split at " << split);
      ReplyReader reader;
      reader.append(row.input.substr(0, split));
      auto first = reader.next();
      REQUIRE(first.has_value());
      std::optional<Reply> got = *first;
      if (!got) {
        reader.append(row.input.substr(split));
        auto second = reader.next();
        REQUIRE(second.has_value());
        got = *second;
      } else {
        CHECK(split == row.input.size());
      }
      REQUIRE(got.has_value());
      CHECK(got->code == row.code);
      CHECK(got->lines.size() == row.lines);
      CHECK(got->text() == row.text);
      CHECK(got->enhanced_status() == row.enhanced);
    }
  }
}

TEST_CASE("hostile replies are errors, not growth") {
  struct Row { const char* name; std::string input; std::string want; };
  std::vector<Row> rows = {
      {"not a code", "hello\r\n", "malformed"},
      {"1xx", "150 x\r\n", "malformed"},
      {"bad separator", "250_x\r\n", "malformed"},
      {"code change", "250-a\r\n251 b\r\n", "code changed"},
      {"over-long line", "250 " + std::string(5000, 'x') + "\r\n", "longer than"},
      {"over-long without LF", std::string(5000, 'x'), "longer than"},
      {"endless", [] { std::string s; for (int i = 0; i < 1000; ++i) s += "250-x\r\n"; return s; }(), "multi-line"},
      {"NUL", std::string("250 a\0b\r\n", 9), "NUL"},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    ReplyReader reader;
    reader.append(row.input);
    auto r = reader.next();
    REQUIRE(!r.has_value());
    CHECK(r.error().message.find(row.want) != std::string::npos);
    CHECK(!reader.next().has_value());  // sticky
  }
}
}

TEST_SUITE("smtp_client.capabilities") {
TEST_CASE("EHLO keywords") {
  ReplyReader reader;
  reader.append("250-mx.test hi\r\n250-pipelining\r\n250-SIZE 1000\r\n250-8BITMIME\r\n250-DSN\r\n"
                "250-SMTPUTF8\r\n250-STARTTLS\r\n250 AUTH LOGIN PLAIN\r\n");
  auto reply = reader.next();
  REQUIRE(reply.has_value());
  REQUIRE(reply->has_value());
  auto caps = parse_capabilities(**reply);
  CHECK(caps.pipelining);
  CHECK(caps.size);
  CHECK(caps.size_limit == 1000);
  CHECK(caps.eightbitmime);
  CHECK(caps.dsn);
  CHECK(caps.smtputf8);
  CHECK(caps.starttls);
  CHECK(caps.auth_plain);
  CHECK(caps.auth_login);
  Reply bare{250, {"mx.test"}};
  auto none = parse_capabilities(bare);
  CHECK(!none.pipelining);
  CHECK(!none.starttls);
}
}

TEST_SUITE("smtp_client.data") {
TEST_CASE("CRLF everywhere, dots stuffed, one end") {
  struct Row { const char* name; std::string in, want; };
  std::vector<Row> rows = {
      {"plain", "a\r\nb\r\n", "a\r\nb\r\n.\r\n"},
      {"bare LF", "a\nb\n", "a\r\nb\r\n.\r\n"},
      {"bare CR", "a\rb", "a\r\nb\r\n.\r\n"},
      {"no final newline", "a", "a\r\n.\r\n"},
      {"empty", "", ".\r\n"},
      {"leading dot", ".x\r\n..y\r\n", "..x\r\n...y\r\n.\r\n"},
      {"LF dot LF", "a\n.\nMAIL FROM:<x>\n", "a\r\n..\r\nMAIL FROM:<x>\r\n.\r\n"},
      {"CR dot CR", "a\r.\rb", "a\r\n..\r\nb\r\n.\r\n"},
      {"LF dot CRLF", "a\n.\r\nb", "a\r\n..\r\nb\r\n.\r\n"},
      {"CRLF dot CR", "a\r\n.\rb", "a\r\n..\r\nb\r\n.\r\n"},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    CHECK(encode_data(row.in) == row.want);
  }
}
TEST_CASE("8-bit headers") {
  CHECK(headers_have_8bit("Subject: gr\xc3\xbc\xc3\x9f\r\n\r\nbody"));
  CHECK(!headers_have_8bit("Subject: hi\r\n\r\nb\xc3\xbc"));
  CHECK(!headers_have_8bit("Subject: hi\n\nb\xc3\xbc"));
}
}

TEST_SUITE("smtp_client.nexthop") {
TEST_CASE("relayhost forms") {
  struct Row { const char* in; bool ok; std::string host; int port; bool mx; bool ip; };
  std::vector<Row> rows = {
      {"example.com", true, "example.com", 25, true, false},
      {"[mail.example.com]", true, "mail.example.com", 25, false, false},
      {"[mail.example.com]:587", true, "mail.example.com", 587, false, false},
      {"example.com:2525", true, "example.com", 2525, true, false},
      {"[127.0.0.2]:2525", true, "127.0.0.2", 2525, false, true},
      {"[ipv6:2001:db8::1]:25", true, "2001:db8::1", 25, false, true},
      {"[x", false, "", 0, false, false},
      {"[x]:0", false, "", 0, false, false},
      {"[x]:99999", false, "", 0, false, false},
      {"[x]junk", false, "", 0, false, false},
      {"", false, "", 0, false, false},
  };
  for (const auto& row : rows) {
    INFO(row.in);
    auto hop = parse_nexthop(row.in);
    REQUIRE(hop.has_value() == row.ok);
    if (!row.ok) continue;
    CHECK(hop->host == row.host);
    CHECK(hop->port == row.port);
    CHECK(hop->mx_lookup == row.mx);
    CHECK(hop->ip_literal == row.ip);
  }
}
}

TEST_SUITE("smtp_client.sasl") {
TEST_CASE("base64 and PLAIN") {
  struct Row { std::string in, want; };
  for (const auto& row : std::vector<Row>{{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}}) {
    INFO(row.in);
    CHECK(base64_encode(row.in) == row.want);
  }
  CHECK(sasl_plain_response("user", "pass") == "AHVzZXIAcGFzcw==");
}
}

}  // namespace
}  // namespace tern::smtp

// smtp.command: verbs, MAIL/RCPT arguments, BDAT, xtext and NOTIFY.
#include <doctest/doctest.h>

#include <string>

#include "common/smtp/command.h"
#include "common/smtp/reply.h"

namespace tern::smtp {
namespace {

TEST_SUITE("smtp.command") {
  TEST_CASE("verbs") {
    struct Row { const char* line; Verb verb; const char* args; };
    const Row rows[] = {
        {"EHLO client.example", Verb::kEhlo, "client.example"},
        {"ehlo  x ", Verb::kEhlo, " x"},
        {"MAIL FROM:<a@b>", Verb::kMail, "FROM:<a@b>"},
        {"quit", Verb::kQuit, ""},
        {"STARTTLS", Verb::kStarttls, ""},
        {"BDAT 10 LAST", Verb::kBdat, "10 LAST"},
        {"XYZZY", Verb::kUnknown, ""},
        {"", Verb::kUnknown, ""},
        {"MAILFROM:<a@b>", Verb::kUnknown, ""},
    };
    for (const Row& row : rows) {
      INFO(row.line);
      Command c = parse_command(row.line);
      CHECK(c.verb == row.verb);
      CHECK(c.args == row.args);
    }
  }

  TEST_CASE("MAIL and RCPT arguments") {
    struct Row { const char* name; const char* args; const char* prefix; PathKind kind; bool ok; size_t params; };
    const Row rows[] = {
        {"plain", "FROM:<a@b.example>", "FROM:", PathKind::kReverse, true, 0},
        {"lower-case keyword", "from:<a@b.example>", "FROM:", PathKind::kReverse, true, 0},
        {"space after colon tolerated", "FROM: <a@b.example>", "FROM:", PathKind::kReverse, true, 0},
        {"params", "FROM:<a@b.example> SIZE=100 BODY=8BITMIME SMTPUTF8", "FROM:", PathKind::kReverse, true, 3},
        {"garbage after path", "FROM:<a@b.example>x", "FROM:", PathKind::kReverse, false, 0},
        {"bad keyword", "FROM:<a@b.example> -X=1", "FROM:", PathKind::kReverse, false, 0},
        {"empty value", "FROM:<a@b.example> SIZE=", "FROM:", PathKind::kReverse, false, 0},
        {"wrong prefix", "TO:<a@b.example>", "FROM:", PathKind::kReverse, false, 0},
        {"rcpt with dsn", "TO:<a@b.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a@b.example", "TO:", PathKind::kForward, true, 2},
        {"no path", "TO:", "TO:", PathKind::kForward, false, 0},
    };
    for (const Row& row : rows) {
      INFO(row.name);
      auto r = parse_path_command(row.args, row.prefix, row.kind, {});
      CHECK(r.has_value() == row.ok);
      if (r) CHECK(r->params.size() == row.params);
    }
  }

  TEST_CASE("BDAT") {
    CHECK(parse_bdat("10")->size == 10);
    CHECK(parse_bdat("0 LAST")->last);
    CHECK(parse_bdat("10 last")->last);
    CHECK_FALSE(parse_bdat("").has_value());
    CHECK_FALSE(parse_bdat("-1").has_value());
    CHECK_FALSE(parse_bdat("10 MORE").has_value());
    CHECK_FALSE(parse_bdat("9999999999999999").has_value());
  }

  TEST_CASE("xtext and NOTIFY") {
    CHECK(*decode_xtext("a+2Bb") == "a+b");
    CHECK_FALSE(decode_xtext("a+2").has_value());
    CHECK_FALSE(decode_xtext("a+zz").has_value());
    CHECK_FALSE(decode_xtext("a=b").has_value());
    CHECK(*parse_notify("NEVER") == 8u);
    CHECK(*parse_notify("success,delay") == 5u);
    CHECK_FALSE(parse_notify("NEVER,SUCCESS").has_value());
    CHECK_FALSE(parse_notify("SOMETIMES").has_value());
  }

  TEST_CASE("replies") {
    CHECK(format_reply(250, "2.0.0", "Ok") == "250 2.0.0 Ok\r\n");
    CHECK(format_reply(220, "", "mx ESMTP") == "220 mx ESMTP\r\n");
    CHECK(format_reply(550, "5.1.1", "a\r\nb") == "550 5.1.1 a  b\r\n");
    CHECK(format_multiline(250, "", {"mx", "SIZE 10"}) == "250-mx\r\n250 SIZE 10\r\n");
  }
}

}  // namespace
}  // namespace tern::smtp

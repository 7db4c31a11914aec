// sendmail's input: line ends, the lone dot, header recipients (-t), Bcc removal, added
// headers; address lists; dot-stuffing and xtext for the SMTP dialogue.
#include <doctest/doctest.h>

#include "ctl/commands/sendmail_addresses.h"
#include "ctl/commands/sendmail_message.h"
#include "ctl/commands/sendmail_submit.h"

using namespace tern::ctl;

namespace {

MessageDefaults defaults(bool extract = false) {
  MessageDefaults d;
  d.extract_recipients = extract;
  d.from_address = "joe@host.test";
  d.full_name = "Joe User";
  d.myhostname = "host.test";
  d.now_us = 1700000000123456;  // Tue, 14 Nov 2023 22:13:20 UTC
  d.pid = 42;
  return d;
}

std::string prepared(const std::string& raw, bool ignore_dots = false, bool extract = false) {
  return prepare_message(split_input(raw, ignore_dots), defaults(extract)).bytes;
}

}  // namespace

TEST_SUITE("sendmail.message") {
  TEST_CASE("line ends and the lone dot") {
    struct Row {
      const char* name;
      const char* raw;
      bool ignore_dots;
      std::vector<std::string> want;
    };
    const Row rows[] = {
        {"LF", "a\nb\n", false, {"a", "b"}},
        {"CRLF", "a\r\nb\r\n", false, {"a", "b"}},
        {"no final newline", "a\nb", false, {"a", "b"}},
        {"dot ends", "a\n.\nb\n", false, {"a"}},
        {"dot CRLF ends", "a\r\n.\r\nb\r\n", false, {"a"}},
        {"-i keeps the dot", "a\n.\nb\n", true, {"a", ".", "b"}},
        {"dot-dot is text", "a\n..\nb\n", false, {"a", "..", "b"}},
        {"bare CR kept", "a\rb\n", false, {"a\rb"}},
    };
    for (const auto& row : rows) {
      INFO(row.name);
      CHECK(split_input(row.raw, row.ignore_dots) == row.want);
    }
  }

  TEST_CASE("missing From, Date and Message-ID are added; CRLF out") {
    CHECK(prepared("Subject: s\n\nbody\n") ==
          "Subject: s\r\nFrom: Joe User <joe@host.test>\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
          "Message-ID: <20231114221320.123456.42@host.test>\r\n\r\nbody\r\n");
    CHECK(prepared("From: x@y\nDate: d\nMessage-ID: <m@y>\n\nbody\n") ==
          "From: x@y\r\nDate: d\r\nMessage-ID: <m@y>\r\n\r\nbody\r\n");
  }

  TEST_CASE("a message without headers gets them and an empty line before its body") {
    CHECK(prepared("just text\nmore\n").find("@host.test>\r\n\r\njust text\r\nmore\r\n") != std::string::npos);
    CHECK(prepared("").ends_with("@host.test>\r\n\r\n"));
  }

  TEST_CASE("a leading mbox From line is dropped") {
    CHECK(prepared("From joe Tue Nov 14 2023\nFrom: x@y\nDate: d\nMessage-ID: <m>\n\nb\n") ==
          "From: x@y\r\nDate: d\r\nMessage-ID: <m>\r\n\r\nb\r\n");
  }

  TEST_CASE("-t: To, Cc, Bcc with folding and groups; Bcc removed") {
    auto p = prepare_message(split_input("To: A <a@x>,\n  b@x (Bee)\nCc: team: \"c, c\" <c@x>, d;\n"
                                         "Bcc: e@x,\n\tf\nSubject: s\n\nBcc: not a header\n",
                                         false),
                             defaults(true));
    CHECK(p.header_recipients == std::vector<std::string>{"a@x", "b@x", "c@x", "d", "e@x", "f"});
    CHECK(p.bytes.find("Bcc: e@x") == std::string::npos);
    CHECK(p.bytes.find("\tf\r\n") == std::string::npos);
    CHECK(p.bytes.find("\r\n\r\nBcc: not a header\r\n") != std::string::npos);
    CHECK(p.bytes.starts_with("To: A <a@x>,\r\n  b@x (Bee)\r\nCc: team:"));
  }

  TEST_CASE("-t with Resent- headers takes only those") {
    auto p = prepare_message(split_input("To: a@x\nResent-To: r@x\nResent-Bcc: s@x\n\nb\n", false), defaults(true));
    CHECK(p.header_recipients == std::vector<std::string>{"r@x", "s@x"});
    CHECK(p.bytes.find("Resent-Bcc") == std::string::npos);
  }

  TEST_CASE("Bcc is removed without -t too, and no recipients are collected") {
    auto p = prepare_message(split_input("To: a@x\nBcc: b@x\n\nbody\n", false), defaults(false));
    CHECK(p.header_recipients.empty());
    CHECK(p.bytes.find("Bcc") == std::string::npos);
  }

  TEST_CASE("full names are quoted and cleaned") {
    CHECK(header_phrase("Joe User") == "Joe User");
    CHECK(header_phrase("Joe Q. User") == "\"Joe Q. User\"");
    CHECK(header_phrase("a\"b\\c") == "\"a\\\"b\\\\c\"");
    CHECK(header_phrase("evil\r\nBcc: x@y") == "\"evilBcc: x@y\"");
  }

  TEST_CASE("dates carry the zone offset") {
    CHECK(rfc5322_date(1700000000000000, 60) == "Tue, 14 Nov 2023 23:13:20 +0100");
    CHECK(rfc5322_date(1700000000000000, -330) == "Tue, 14 Nov 2023 16:43:20 -0530");
  }
}

TEST_SUITE("sendmail.addresses") {
  TEST_CASE("address lists") {
    struct Row {
      const char* text;
      std::vector<std::string> want;
    };
    const Row rows[] = {
        {"a@x", {"a@x"}},
        {"a@x, b@y", {"a@x", "b@y"}},
        {"\"Doe, J\" <j@x>, k@x", {"j@x", "k@x"}},
        {"j@x (Joe, the <boss>)", {"j@x"}},
        {"undisclosed-recipients:;", {}},
        {"g: a@x, B <b@x>; c@x", {"a@x", "b@x", "c@x"}},
        {"\"odd local\"@x", {"\"odd local\"@x"}},
        {"<@route:a@x>", {"@route:a@x"}},
        {"", {}},
    };
    for (const auto& row : rows) {
      INFO(row.text);
      CHECK(parse_address_list(row.text) == row.want);
    }
  }

  TEST_CASE("qualifying") {
    CHECK(*qualify_address("joe", "o.test", false) == "joe@o.test");
    CHECK(*qualify_address("<joe@x.test>", "o.test", false) == "joe@x.test");
    CHECK(*qualify_address("<>", "o.test", true) == "");
    CHECK(*qualify_address("@route:a@x.test", "o.test", false) == "a@x.test");
    CHECK_FALSE(qualify_address("<>", "o.test", false).has_value());
    CHECK_FALSE(qualify_address("a b@x", "o.test", false).has_value());
    CHECK_FALSE(qualify_address("a@", "o.test", false).has_value());
    CHECK_FALSE(qualify_address("a@x\r\nRCPT TO:<b@y>", "o.test", false).has_value());
  }
}

TEST_SUITE("sendmail.smtp") {
  TEST_CASE("dot-stuffing") {
    CHECK(dot_stuff(".a\r\nb\r\n.\r\n..\r\n") == "..a\r\nb\r\n..\r\n...\r\n");
    CHECK(dot_stuff("a.b\r\n") == "a.b\r\n");
  }
  TEST_CASE("xtext") {
    CHECK(xtext_encode("abc") == "abc");
    CHECK(xtext_encode("a+b=c d") == "a+2Bb+3Dc+20d");
  }
}

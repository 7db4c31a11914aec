// Tests for Config::parse: main.cf syntax, and every error and warning with its file:line.
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "common/config/config.h"
#include "tests/unit/config/test_util.h"

namespace tern::config {
namespace {

using testing::errors_of;
using testing::must_parse;
using testing::warnings_of;

struct Case {
  std::string_view name;
  std::string_view input;
  std::string_view want;
};

TEST_SUITE("config.parser") {
  TEST_CASE("lines: comments, blanks, continuations, trimming") {
    // Each input sets smtpd_banner; want is its value.
    const Case cases[] = {
        {"plain", "smtpd_banner = hello", "hello"},
        {"no spaces around =", "smtpd_banner=hello", "hello"},
        {"value trimmed", "smtpd_banner   =  \t hello world \t ", "hello world"},
        {"name trimmed", "  \nsmtpd_banner\t= hello", "hello"},
        {"empty value", "smtpd_banner =", ""},
        {"'=' in the value", "smtpd_banner = a=b = c", "a=b = c"},
        {"'#' inside a value is not a comment", "smtpd_banner = x # y", "x # y"},
        {"comment line", "# smtpd_banner = no\nsmtpd_banner = yes", "yes"},
        {"indented comment line", "smtpd_banner = a\n   # not a continuation\n", "a"},
        {"continuation joined with one space", "smtpd_banner = a\n    b", "a b"},
        {"tab continuation", "smtpd_banner = a\n\tb", "a b"},
        {"several continuations", "smtpd_banner = a,\n  b,\n\t c  ", "a, b, c"},
        {"comment inside a continued line", "smtpd_banner = a\n# note\n  b", "a b"},
        {"indented comment inside a continued line", "smtpd_banner = a\n  # note\n  b", "a b"},
        {"blank line inside a continued line", "smtpd_banner = a\n\n  b", "a b"},
        {"white-space line inside a continued line", "smtpd_banner = a\n \t \n  b", "a b"},
        {"continuation ends at the next name", "smtpd_banner = a\n  b\nsmtpd_helo_required = no", "a b"},
        {"value only on the continuation", "smtpd_banner =\n  hello", "hello"},
        {"CRLF line ends", "smtpd_helo_required = no\r\nsmtpd_banner = hello\r\n", "hello"},
        {"no final newline", "smtpd_banner = hello", "hello"},
        {"later setting wins", "smtpd_banner = one\nsmtpd_banner = two", "two"},
    };
    for (const Case& c : cases) {
      INFO(c.name);
      CHECK(must_parse(c.input).get("smtpd_banner") == c.want);
    }
  }

  TEST_CASE("syntax errors name file:line") {
    const Case cases[] = {
        {"no '='", "smtpd_helo_required = no\nmyhostname mail.example.com\n",
         "t.conf:2: missing '=' in \"myhostname mail.example.com\" (want name = value)"},
        {"no '=' on a continued line", "smtpd_helo_required = no\nmyhostname\n  mail.example.com\n",
         "t.conf:2: missing '=' in \"myhostname mail.example.com\" (want name = value)"},
        {"empty name", "\n= value\n", "t.conf:2: missing parameter name before '='"},
        {"blank name", "   \n\n  = value", "t.conf:3: continuation line before any parameter (a "
         "line starting with white space continues the previous one)"},
        {"only '='", "smtpd_helo_required = no\n=", "t.conf:2: missing parameter name before '='"},
        {"dash in name", "my-hostname = x",
         "t.conf:1: invalid parameter name \"my-hostname\" (letters, digits and '_' only)"},
        {"space in name", "my hostname = x",
         "t.conf:1: invalid parameter name \"my hostname\" (letters, digits and '_' only)"},
        {"$ in name", "$myhostname = x",
         "t.conf:1: invalid parameter name \"$myhostname\" (letters, digits and '_' only)"},
        {"continuation first", "  continued\nsmtpd_helo_required = no\n",
         "t.conf:1: continuation line before any parameter (a line starting with white space "
         "continues the previous one)"},
        {"continuation after comments", "# c\n\n\tcontinued\n  more\nsmtpd_helo_required = no\n",
         "t.conf:3: continuation line before any parameter (a line starting with white space "
         "continues the previous one)"},
        {"missing }", "smtpd_helo_required = no\nsmtpd_banner = ${myhostname ESMTP",
         "t.conf:2: smtpd_banner: missing '}' in \"${myhostname ESMTP\""},
        {"bad macro name", "smtpd_banner = ${my host}",
         "t.conf:1: smtpd_banner: invalid parameter name in \"${my host}\""},
        {"bad macro on a continued line", "smtpd_banner = a\n  b\n  ${c",
         "t.conf:1: smtpd_banner: missing '}' in \"${c\""},
        {"bad macro in an unknown parameter", "x = ${", "t.conf:1: x: missing '}' in \"${\""},
    };
    for (const Case& c : cases) {
      INFO(c.name);
      CHECK(errors_of(c.input) == c.want);
    }
  }

  TEST_CASE("value errors name the line that set the parameter") {
    const char* kTime = "want a number with an optional unit s, m, h, d or w";
    const std::string kListen = "is not address:port (IPv6 as [::1]:25)";
    struct ValueCase {
      std::string_view name;
      std::string_view input;
      std::string want;
    };
    const ValueCase cases[] = {
        {"bad time unit", "\n\nsmtpd_timeout = 5x",
         std::string("t.conf:3: smtpd_timeout: invalid value \"5x\": ") + kTime},
        {"empty time", "smtpd_timeout =",
         std::string("t.conf:1: smtpd_timeout: invalid value \"\": ") + kTime},
        {"negative time", "minimal_backoff_time = -5s",
         "t.conf:1: minimal_backoff_time: invalid value \"-5s\": must not be negative"},
        {"overflowing time", "maximal_queue_lifetime = 9999999999999999",
         "t.conf:1: maximal_queue_lifetime: invalid value \"9999999999999999\": too large"},
        {"bad time on a continued line", "smtpd_helo_required = no\nsmtpd_timeout =\n  5\n  s\n",
         std::string("t.conf:2: smtpd_timeout: invalid value \"5 s\": ") + kTime},
        {"bad time through expansion", "a = 5x\n# the use:\nminimal_backoff_time = $a\n",
         std::string("t.conf:3: minimal_backoff_time: invalid value \"5x\" (from \"$a\"): ") +
             kTime},
        {"bad time through two expansions", "a = $b\nb = 3 m\nqueue_run_delay = ${a}\n",
         std::string("t.conf:3: queue_run_delay: invalid value \"3 m\" (from \"${a}\"): ") +
             kTime},
        {"undefined name expands to an empty time", "smtpd_timeout = $nosuch",
         std::string("t.conf:1: smtpd_timeout: invalid value \"\" (from \"$nosuch\"): ") + kTime},
        {"negative size", "message_size_limit = -1",
         "t.conf:1: message_size_limit: invalid value \"-1\": must not be negative"},
        {"size with a suffix", "message_size_limit = 10M",
         "t.conf:1: message_size_limit: invalid value \"10M\": want a non-negative integer"},
        {"overflowing size", "mailbox_size_limit = 99999999999999999999",
         "t.conf:1: mailbox_size_limit: invalid value \"99999999999999999999\": too large"},
        {"bad count", "smtpd_recipient_limit = lots",
         "t.conf:1: smtpd_recipient_limit: invalid value \"lots\": want a non-negative integer"},
        {"bad boolean", "smtpd_helo_required = maybe", "t.conf:1: smtpd_helo_required: invalid value \"maybe\": want yes or no"},
        {"empty boolean", "smtputf8_enable =",
         "t.conf:1: smtputf8_enable: invalid value \"\": want yes or no"},
        {"bad log_level", "log_level = verbose",
         "t.conf:1: log_level: invalid value \"verbose\": want debug, info, warning or error"},
        {"bad smtpd TLS level", "smtpd_tls_security_level = dane",
         "t.conf:1: smtpd_tls_security_level: invalid value \"dane\": "
         "want none, may or encrypt"},
        {"bad smtp TLS level", "smtp_tls_security_level = must",
         "t.conf:1: smtp_tls_security_level: invalid value \"must\": "
         "want none, may, encrypt, dane, verify or secure"},
        {"listen without port", "smtp_listen = 0.0.0.0",
         "t.conf:1: smtp_listen: invalid value \"0.0.0.0\": \"0.0.0.0\" " + kListen},
        {"listen port 0", "submission_listen = [::1]:0",
         "t.conf:1: submission_listen: invalid value \"[::1]:0\": "
         "\"[::1]:0\": port must be 1 to 65535"},
        {"listen port too high", "smtps_listen = 127.0.0.1:465\n  127.0.0.1:99999",
         "t.conf:1: smtps_listen: invalid value \"127.0.0.1:465 127.0.0.1:99999\": "
         "\"127.0.0.1:99999\": port must be 1 to 65535"},
        {"listen IPv6 without brackets", "smtp_listen = ::1:25",
         "t.conf:1: smtp_listen: invalid value \"::1:25\": \"::1:25\" " + kListen},
        {"bad name server", "dns_nameservers = ns1.example",
         "t.conf:1: dns_nameservers: invalid value \"ns1.example\": "
         "\"ns1.example\" is not an IP address with an optional port"},
        {"errors sorted by line, all of them",
         "smtpd_helo_required = maybe\nsmtpd_timeout = x\nnoequals\n  continued\nlog_level = loud\n",
         "t.conf:1: smtpd_helo_required: invalid value \"maybe\": want yes or no\n"
         "t.conf:2: smtpd_timeout: invalid value \"x\": " + std::string(kTime) + "\n"
         "t.conf:3: missing '=' in \"noequals continued\" (want name = value)\n"
         "t.conf:5: log_level: invalid value \"loud\": want debug, info, warning or error"},
        {"only the last setting is checked", "smtpd_helo_required = maybe\nsmtpd_helo_required = yes", ""},
        {"the last setting is checked", "smtpd_helo_required = yes\nsmtpd_helo_required = maybe",
         "t.conf:2: smtpd_helo_required: invalid value \"maybe\": want yes or no"},
    };
    for (const ValueCase& c : cases) {
      INFO(c.name);
      CHECK(errors_of(c.input) == c.want);
    }
  }

  TEST_CASE("expansion loops are errors at load, once per loop, at its first line") {
    const Case cases[] = {
        {"self", "\nmyhostname = x.$myhostname",
         "t.conf:2: expansion loop: myhostname -> myhostname"},
        {"two of the administrator's names", "a = $b\nb = ${a}\nsmtpd_banner = $a",
         "t.conf:1: expansion loop: a -> b -> a"},
        {"reported at the earliest line", "b = ${a}\nsmtpd_banner = $a\na = $b",
         "t.conf:1: expansion loop: b -> a -> b"},
        {"through a default", "myhostname = mail.$myorigin",
         "t.conf:1: expansion loop: myhostname -> myorigin -> myhostname"},
        {"through the computed mydomain", "smtpd_helo_required = no\nmyhostname = mail.$mydomain",
         "t.conf:2: expansion loop: myhostname -> mydomain -> myhostname"},
        {"through a condition", "a = ${b?x}\nb = $a", "t.conf:1: expansion loop: a -> b -> a"},
        {"a typed parameter in a loop reports only the loop",
         "smtpd_timeout = $t\nt = $smtpd_timeout",
         "t.conf:1: expansion loop: smtpd_timeout -> t -> smtpd_timeout"},
        {"two loops", "a = $a\nb = $c\nc = $b",
         "t.conf:1: expansion loop: a -> a\nt.conf:2: expansion loop: b -> c -> b"},
        {"queue_directory and spool_directory are one parameter",
         "queue_directory = $spool_directory/x",
         "t.conf:1: expansion loop: spool_directory -> spool_directory"},
    };
    for (const Case& c : cases) {
      INFO(c.name);
      CHECK(errors_of(c.input) == c.want);
    }
  }

  TEST_CASE("warnings: unknown names, undefined $names, overrides") {
    const Case cases[] = {
        {"none for known names", "myhostname = mail.example.com\nsmtpd_helo_required = yes", ""},
        {"unknown name", "smtpd_helo_required = no\nmydomian = example.com",
         "t.conf:2: unknown parameter \"mydomian\""},
        {"an unknown name that a value uses is the administrator's own",
         "base = /srv/mail\nvirtual_mailbox_base = $base", ""},
        {"used by an unknown name", "a = $b\nb = x", "t.conf:1: unknown parameter \"a\""},
        {"used in a condition", "flag = x\nsmtpd_banner = ${flag?on}", ""},
        {"undefined $name", "smtpd_banner = $myhostname $nosuch",
         "t.conf:1: smtpd_banner: undefined parameter \"$nosuch\" expands to empty"},
        {"undefined ${name}, reported once", "\nsmtpd_banner = ${nosuch} ${nosuch}",
         "t.conf:2: smtpd_banner: undefined parameter \"$nosuch\" expands to empty"},
        {"undefined inside a condition", "smtpd_banner = ${myhostname?$nosuch}",
         "t.conf:1: smtpd_banner: undefined parameter \"$nosuch\" expands to empty"},
        {"conditions may test undefined names",
         "smtpd_banner = ${nosuch?x}${nosuch:y}${other?{a}:{b}}", ""},
        {"$$name is not a reference", "smtpd_banner = $$nosuch", ""},
        {"override", "smtpd_helo_required = yes\n# later\nsmtpd_helo_required = no",
         "t.conf:3: smtpd_helo_required: overriding earlier entry at line 1"},
        {"override through the alias", "queue_directory = /a\nspool_directory = /b",
         "t.conf:2: spool_directory: overriding earlier entry at line 1 (queue_directory)"},
        {"several, in line order", "zzz = 1\nsmtpd_helo_required = yes\nsmtpd_helo_required = no\naaa = $undefined",
         "t.conf:1: unknown parameter \"zzz\"\n"
         "t.conf:3: smtpd_helo_required: overriding earlier entry at line 2\n"
         "t.conf:4: aaa: undefined parameter \"$undefined\" expands to empty\n"
         "t.conf:4: unknown parameter \"aaa\""},
    };
    for (const Case& c : cases) {
      INFO(c.name);
      CHECK(errors_of(c.input) == "");
      CHECK(warnings_of(c.input) == c.want);
    }
  }

  TEST_CASE("warnings come with errors too") {
    std::vector<Diagnostic> warnings;
    Result<Config> config = Config::parse("foo = 1\nsmtpd_helo_required = maybe", "t.conf", &warnings);
    CHECK_FALSE(config.has_value());
    CHECK(testing::join(warnings) == "t.conf:1: unknown parameter \"foo\"");
  }

  TEST_CASE("Diagnostic::to_string") {
    CHECK(Diagnostic{"/etc/tern/tern.conf", 12, "why"}.to_string() ==
          "/etc/tern/tern.conf:12: why");
    CHECK(Diagnostic{"/etc/tern/tern.conf", 0, "why"}.to_string() == "/etc/tern/tern.conf: why");
  }
}

}  // namespace
}  // namespace tern::config

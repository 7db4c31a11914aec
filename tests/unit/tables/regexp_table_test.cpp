// Tests for common/tables/regexp_table.h and content_checks.h: regexp:/pcre: tables (patterns,
// flags, negation, if/endif, $n) and header_checks(5) actions.
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>

#include "common/tables/content_checks.h"
#include "common/tables/regexp_table.h"

namespace tern::tables {
namespace {

RegexpTable parsed(std::string_view text, RegexpDialect dialect = RegexpDialect::kRegexp) {
  auto t = RegexpTable::parse(text, "/etc/tern/checks", dialect);
  INFO(text);
  REQUIRE_MESSAGE(t.has_value(), (t ? "" : t.error().message));
  return std::move(*t);
}

std::string error_of(std::string_view text, RegexpDialect dialect = RegexpDialect::kRegexp) {
  auto t = RegexpTable::parse(text, "/etc/tern/checks", dialect);
  return t ? "" : t.error().message;
}

TEST_SUITE("tables.regexp") {
  TEST_CASE("matching") {
    RegexpTable t = parsed(
        "# header checks\n"
        "/^Subject:.*viagra/ REJECT spam\n"
        "/^Subject: CaseSensitive/i WARN exact case\n"
        "!/^(From|To|Subject|Received|X-[a-z-]+):/ WARN odd header\n"
        "/^X-Mailer: (.*) v([0-9]+)/ REPLACE X-Mailer: $2 of ${1}, $$5\n"
        "/^X-Spam:/ IGNORE\n"
        "/^X-Long:/ WARN long\n"
        "   with a continued result\n"
        "#/^X-Commented:/ REJECT\n"
        "if /^X-If:/\n"
        "/inner/ INFO in the block\n"
        "if !/nested/\n"
        "/deep/ INFO not nested\n"
        "endif\n"
        "endif\n"
        "/deep/ INFO outside\n"
        "|^X-Pipe: a/b| DUNNO\n"
        "/^X-Slash: a\\/b/ OK\n");
    struct Row {
      std::string_view name;
      std::string_view subject;
      std::optional<std::string> want;
    };
    const Row rows[] = {
        {"first match, case-insensitive by default", "subject: Buy VIAGRA now", "REJECT spam"},
        {"i toggles to case-sensitive: hit", "Subject: CaseSensitive", "WARN exact case"},
        {"i toggles to case-sensitive: miss", "Subject: casesensitive", std::nullopt},
        {"negated pattern", "Bcc: someone", "WARN odd header"},
        {"negated pattern not matching", "From: a@b", std::nullopt},
        {"$n, ${n} and $$", "X-Mailer: Outlook v16", "REPLACE X-Mailer: 16 of Outlook, $5"},
        {"continued result joined", "X-Long: x", "WARN long with a continued result"},
        {"commented rule ignored", "X-Commented: y", std::nullopt},
        {"if block: inner rule", "X-If: inner", "INFO in the block"},
        {"nested if, negated: applies", "X-If: deep", "INFO not nested"},
        {"nested if skipped", "X-If: deep nested", "INFO outside"},
        {"outside the if block", "X-Other: deep", "INFO outside"},
        {"other delimiter", "X-Pipe: a/b", "DUNNO"},
        {"escaped delimiter", "X-Slash: a/b", "OK"},
    };
    for (const auto& r : rows) {
      INFO(r.name);
      auto got = t.find(r.subject);
      if (!r.want) {
        CHECK_FALSE(got.has_value());
      } else {
        REQUIRE(got.has_value());
        CHECK(got->result == *r.want);
      }
    }
    CHECK(t.find("Subject: viagra")->line == 2);
  }

  TEST_CASE("bad lines are file:line errors") {
    struct Row {
      std::string_view name;
      std::string_view text;
      std::string_view want;
      RegexpDialect dialect = RegexpDialect::kRegexp;
    };
    const Row rows[] = {
        {"bad regex", "# c\n/ok/ DUNNO\n/a(b/ REJECT\n", "/etc/tern/checks:3: bad regular expression /a(b/: "},
        {"no delimiter", "Subject REJECT\n", "/etc/tern/checks:1: a pattern must start with a delimiter"},
        {"unterminated", "/abc REJECT\n", "/etc/tern/checks:1: missing closing delimiter '/'"},
        {"no result", "/abc/\n", "/etc/tern/checks:1: missing result after the pattern"},
        {"unknown flag", "/abc/q REJECT\n", "/etc/tern/checks:1: unknown flag 'q'"},
        {"$n beyond groups", "/a(b)/ REPLACE $2\n", "/etc/tern/checks:1: $2 but the pattern has 1 parenthesised groups"},
        {"$n in negated", "!/a(b)/ REPLACE $1\n", "/etc/tern/checks:1: $1 in the result of a negated pattern"},
        {"endif alone", "endif\n", "/etc/tern/checks:1: endif without a matching if"},
        {"if unclosed", "/a/ DUNNO\nif /b/\n/c/ DUNNO\n", "/etc/tern/checks:2: if without a matching endif"},
        {"orphan continuation", "  /a/ DUNNO\n", "/etc/tern/checks:1: continuation line"},
        {"pcre \\d", "/^X: \\d+/ REJECT\n", "/etc/tern/checks:1: PCRE syntax \"\\d\" is not available", RegexpDialect::kPcre},
        {"pcre (?", "/(?i)abc/ REJECT\n", "/etc/tern/checks:1: PCRE syntax \"(?\" is not available", RegexpDialect::kPcre},
        {"pcre lazy", "/a.*?b/ REJECT\n", "/etc/tern/checks:1: PCRE syntax \"*?\" is not available", RegexpDialect::kPcre},
        {"pcre flag", "/ab/s REJECT\n", "/etc/tern/checks:1: PCRE flag 's' is not available", RegexpDialect::kPcre},
    };
    for (const auto& r : rows) {
      INFO(r.name);
      std::string got = error_of(r.text, r.dialect);
      CHECK(got.starts_with(r.want));
    }
  }

  TEST_CASE("pcre: tables accept the syntax both engines share") {
    RegexpTable t = parsed("/^Subject: [[:digit:]]+ \\w+$/ REJECT\n/a\\.b/ WARN\n", RegexpDialect::kPcre);
    CHECK(t.find("subject: 42 pills").has_value());
    CHECK(t.find("a.b").has_value());
    CHECK_FALSE(t.find("axb").has_value());
    CHECK(error_of("/[\\d]/ REJECT\n", RegexpDialect::kPcre) == "");  // '\' is literal in brackets
  }
}

TEST_SUITE("tables.check_action") {
  TEST_CASE("actions") {
    using K = CheckAction::Kind;
    struct Row {
      std::string_view result;
      K kind;
      std::string_view text;
    };
    const Row rows[] = {
        {"REJECT", K::kReject, ""},           {"reject spam here", K::kReject, "spam here"},
        {"WARN odd", K::kWarn, "odd"},        {"INFO", K::kInfo, ""},
        {"DISCARD", K::kDiscard, ""},         {"IGNORE", K::kIgnore, ""},
        {"PREPEND X-A: b", K::kPrepend, "X-A: b"}, {"REPLACE X-A: c", K::kReplace, "X-A: c"},
        {"DUNNO", K::kDunno, ""},             {"OK", K::kDunno, ""},
    };
    for (const auto& r : rows) {
      INFO(r.result);
      auto a = parse_check_action(r.result);
      REQUIRE(a.has_value());
      CHECK(a->kind == r.kind);
      CHECK(a->text == r.text);
    }
    const std::string_view bad[] = {"HOLD", "FILTER smtp:x", "REDIRECT a@b", "BCC a@b", "PREPEND", "REPLACE",
                                    "IGNORE this", "FROB", "550 go away"};
    for (std::string_view b : bad) {
      INFO(b);
      CHECK_FALSE(parse_check_action(b).has_value());
    }
    CHECK(parse_check_action("HOLD").error().message == "action HOLD is not supported by Tern");
  }
}

}  // namespace
}  // namespace tern::tables

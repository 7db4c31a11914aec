// Tests for common/tables/aliases_file.h: aliases(5) syntax.
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/tables/aliases_file.h"

namespace tern::tables {
namespace {

struct Good {
  std::string_view name;
  std::string_view text;
  std::vector<AliasEntry> want;
};

struct Bad {
  std::string_view name;
  std::string_view text;
  std::string_view want_error;
};

TEST_SUITE("tables.aliases") {
  TEST_CASE("good files") {
    const Good cases[] = {
        {"one target", "postmaster: root\n", {{"postmaster", {"root"}, 1}}},
        {"several targets", "staff: a, b@example.com ,c\n", {{"staff", {"a", "b@example.com", "c"}, 1}}},
        {"continuation", "staff: a,\n  b,\n\tc\nx: y\n", {{"staff", {"a", "b", "c"}, 1}, {"x", {"y"}, 4}}},
        {"comments and blanks", "# c\n\nroot: admin # not a comment\n  # skipped\n",
         {{"root", {"admin # not a comment"}, 3}}},
        {"name folded to lower case", "MailerDaemon: root\n", {{"mailerdaemon", {"root"}, 1}}},
        {"quoted name", "\"john doe\": jd\n", {{"john doe", {"jd"}, 1}}},
        {"command, file, include", "prog: \"|/usr/bin/filter -x, y\", /var/log/mail.txt, :include:/etc/list\n",
         {{"prog", {"|/usr/bin/filter -x, y", "/var/log/mail.txt", ":include:/etc/list"}, 1}}},
        {"unquoted command", "p: |/bin/cat\n", {{"p", {"|/bin/cat"}, 1}}},
        {"no newline at end", "a: b", {{"a", {"b"}, 1}}},
        {"crlf", "a: b\r\nc: d\r\n", {{"a", {"b"}, 1}, {"c", {"d"}, 2}}},
        {"empty file", "", {}},
    };
    for (const auto& c : cases) {
      INFO(c.name);
      auto got = parse_aliases(c.text, "aliases");
      REQUIRE_MESSAGE(got.has_value(), (got ? "" : got.error().message));
      REQUIRE(got->size() == c.want.size());
      for (size_t i = 0; i < c.want.size(); ++i) {
        CHECK((*got)[i].name == c.want[i].name);
        CHECK((*got)[i].targets == c.want[i].targets);
        CHECK((*got)[i].line == c.want[i].line);
      }
    }
  }

  TEST_CASE("bad lines are file:line: why") {
    const Bad cases[] = {
        {"no colon", "root admin\n", "etc/aliases:1: missing ':' after alias name"},
        {"empty name", ": x\n", "etc/aliases:1: empty alias name"},
        {"no targets", "a: b\nroot:\n", "etc/aliases:2: alias \"root\" has no targets"},
        {"only commas", "root: , ,\n", "etc/aliases:1: alias \"root\" has no targets"},
        {"open quote in target", "a: \"|cmd\n", "etc/aliases:1: unterminated double quote"},
        {"open quote in name", "\"a: b\n", "etc/aliases:1: unterminated double quote in alias name"},
        {"space in name", "a b: c\n", "etc/aliases:1: white space in alias name \"a b\" (quote it)"},
        {"orphan continuation", "  b\n", "etc/aliases:1: continuation line without an alias before it"},
        {"duplicate", "a: b\nA: c\n", "etc/aliases:2: duplicate alias \"a\" ignored"},
        {"include without file", "a: :include:\n", "etc/aliases:1: :include: without a file name"},
    };
    for (const auto& c : cases) {
      INFO(c.name);
      auto got = parse_aliases(c.text, "etc/aliases");
      REQUIRE_FALSE(got.has_value());
      CHECK(got.error().message == c.want_error);
    }
  }

  TEST_CASE("lenient parsing keeps the good lines") {
    std::vector<std::string> errors;
    auto got = parse_aliases_lenient("a: b\nbroken\nc: d\n", "x", &errors);
    REQUIRE(got.size() == 2);
    CHECK(got[0].name == "a");
    CHECK(got[1].name == "c");
    CHECK(errors == std::vector<std::string>{"x:2: missing ':' after alias name"});
  }
}

}  // namespace
}  // namespace tern::tables

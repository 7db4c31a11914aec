// Tests for common/tables/credentials_file.h: the sasl_password_file format.
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/tables/credentials_file.h"

namespace tern::tables {
namespace {

constexpr std::string_view kHashA = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
constexpr std::string_view kHashB = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdDI$aGFzaDI";

TEST_SUITE("tables.credentials") {
  TEST_CASE("parse: good lines kept, bad ones reported") {
    std::string text = "# users\nalice:" + std::string(kHashA) + "\n\nbob@example.com:" +
                       std::string(kHashB) + "\r\nnocolon\ncarol:plaintext\n:" +
                       std::string(kHashA) + "\nalice:" + std::string(kHashB) + "\n";
    std::vector<std::string> errors;
    auto got = parse_credentials(text, "sasl_passwd", &errors);
    CHECK(got.size() == 2);
    CHECK(got["alice"] == kHashA);
    CHECK(got["bob@example.com"] == kHashB);
    CHECK(errors == std::vector<std::string>{
                        "sasl_passwd:5: expected username:hash",
                        "sasl_passwd:6: user carol: not an argon2 hash",
                        "sasl_passwd:7: bad user name",
                        "sasl_passwd:8: duplicate user alice ignored",
                    });
  }

  TEST_CASE("replace: keeps other lines, replaces or appends") {
    struct Row {
      std::string_view name;
      std::string before;
      std::string_view user;
      std::string after;
    };
    const Row rows[] = {
        {"empty file", "", "alice", "alice:" + std::string(kHashB) + "\n"},
        {"append", "# c\nbob:" + std::string(kHashA) + "\n", "alice",
         "# c\nbob:" + std::string(kHashA) + "\nalice:" + std::string(kHashB) + "\n"},
        {"replace in place", "alice:" + std::string(kHashA) + "\nbob:x\n", "alice",
         "alice:" + std::string(kHashB) + "\nbob:x\n"},
        {"prefix of another user untouched", "alice2:" + std::string(kHashA) + "\n", "alice",
         "alice2:" + std::string(kHashA) + "\nalice:" + std::string(kHashB) + "\n"},
        {"no newline at end", "bob:" + std::string(kHashA), "alice",
         "bob:" + std::string(kHashA) + "\nalice:" + std::string(kHashB) + "\n"},
    };
    for (const auto& r : rows) {
      INFO(r.name);
      auto got = replace_credential(r.before, r.user, kHashB);
      REQUIRE(got.has_value());
      CHECK(*got == r.after);
    }
  }

  TEST_CASE("user names") {
    const std::pair<std::string_view, bool> rows[] = {
        {"alice", true}, {"a@example.com", true}, {"", false}, {"a:b", false},
        {"a b", false},  {"a\nb", false},         {"a\tb", false},
    };
    for (const auto& [user, ok] : rows) {
      INFO(user);
      CHECK(valid_username(user) == ok);
    }
    CHECK_FALSE(replace_credential("", "a:b", kHashA).has_value());
    CHECK_FALSE(replace_credential("", "a", "plain").has_value());
  }
}

}  // namespace
}  // namespace tern::tables

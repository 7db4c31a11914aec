// Tests for common/tables/table.h and table_name.h: postmap text tables and table names.
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/tables/table.h"
#include "common/tables/table_name.h"

namespace tern::tables {
namespace {

TEST_SUITE("tables.text") {
  TEST_CASE("look-ups") {
    std::vector<std::string> errors;
    Table t = parse_text_table(
        "# virtual\n"
        "Info@Example.COM   alice, bob\n"
        "@example.org\tcatchall@example.org\n"
        "long  a,\n"
        "   b\n"
        "nokey\n"
        "info@example.com  second\n"
        "  orphan? no: continues the duplicate\n",
        "virtual", &errors);
    struct Row {
      std::string_view name;
      std::string_view key;
      std::optional<std::string> want;
    };
    const Row rows[] = {
        {"folded key", "info@example.com", "alice, bob"},
        {"key case ignored", "INFO@example.com", "alice, bob"},
        {"catch-all", "@example.org", "catchall@example.org"},
        {"continuation joined", "long", "a, b"},
        {"missing", "bob@example.com", std::nullopt},
        {"line without value skipped", "nokey", std::nullopt},
    };
    for (const auto& r : rows) {
      INFO(r.name);
      const auto* got = t.find(r.key);
      if (!r.want) {
        CHECK(got == nullptr);
      } else {
        REQUIRE(got != nullptr);
        REQUIRE(got->size() == 1);
        CHECK(got->front() == *r.want);
      }
    }
    CHECK(errors == std::vector<std::string>{"virtual:6: expected format: key whitespace value",
                                             "virtual:7: duplicate key \"info@example.com\" ignored"});
  }

  TEST_CASE("static tables answer every key") {
    Table t = Table::static_value("5000");
    REQUIRE(t.find("anything") != nullptr);
    CHECK(t.find("x")->front() == "5000");
  }

  TEST_CASE("table names") {
    struct Row {
      std::string_view item;
      std::optional<std::string> path;
      bool is_table;
    };
    const Row rows[] = {
        {"hash:/etc/aliases", "/etc/aliases", true},
        {"texthash:/etc/tern/virtual", "/etc/tern/virtual", true},
        {"lmdb:/x", "/x", true},
        {"/etc/tern/domains", "/etc/tern/domains", true},
        {"example.com", std::nullopt, false},
        {"[::1]", std::nullopt, false},
        {"static:1000", std::nullopt, true},
        {"proxy:unix:passwd.byname", std::nullopt, true},
        {"hash:", std::nullopt, true},
    };
    for (const auto& r : rows) {
      INFO(r.item);
      CHECK(table_path(r.item) == r.path);
      CHECK(is_table_item(r.item) == r.is_table);
    }
  }
}

}  // namespace
}  // namespace tern::tables

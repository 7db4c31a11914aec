// Tests for common/config/expand.h: macro syntax, recursive expansion, loops.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/expand.h"

namespace tern::config {
namespace {

// An Expander over a fixed map of raw values.
std::string expand_with(const std::map<std::string, std::string, std::less<>>& values,
                        std::string_view text,
                        std::vector<std::vector<std::string>>* loops = nullptr) {
  Expander expander([&](std::string_view name, Expander&) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  });
  std::string out = expander.expand_text(text);
  if (loops != nullptr) *loops = expander.loops();
  return out;
}

TEST_SUITE("config.expand") {
  TEST_CASE("expansion forms") {
    const std::map<std::string, std::string, std::less<>> values = {
        {"host", "mail.example.com"}, {"empty", ""},           {"a", "$b"},
        {"b", "${c}"},                {"c", "deep"},            {"dollar", "$$"},
        {"relay", "[smarthost]:587"}, {"banner", "$host ESMTP"},
    };
    struct Case {
      std::string_view name;
      std::string_view input;
      std::string_view want;
    };
    const Case cases[] = {
        {"no macro", "plain text", "plain text"},
        {"empty text", "", ""},
        {"$name", "$host", "mail.example.com"},
        {"${name}", "${host}", "mail.example.com"},
        {"$(name)", "$(host)", "mail.example.com"},
        {"$name ends at a non-name character", "$host.", "mail.example.com."},
        {"${name} glued to text", "x${host}y", "xmail.example.comy"},
        {"recursive", "$banner", "mail.example.com ESMTP"},
        {"nested three deep", "<$a>", "<deep>"},
        {"undefined is empty", "[$nosuch]", "[]"},
        {"undefined braced is empty", "[${nosuch}]", "[]"},
        {"$$ is a dollar", "cost $$5", "cost $5"},
        {"$$name is literal", "$$host", "$host"},
        {"$$ from a value stays literal", "$dollar{x}", "${x}"},
        {"lone $ at the end", "a$", "a$"},
        {"$ before a space", "a $ b", "a $ b"},
        {"$ before punctuation", "$-x", "$-x"},
        {"? set", "${host?yes}", "yes"},
        {"? empty", "${empty?yes}", ""},
        {"? undefined", "${nosuch?yes}", ""},
        {": set", "${host:fallback}", ""},
        {": empty", "${empty:fallback}", "fallback"},
        {": undefined", "${nosuch:fallback}", "fallback"},
        {"? value expands", "${relay?via $relay}", "via [smarthost]:587"},
        {": value expands", "${empty:$host}", "mail.example.com"},
        {"nested conditional", "${host?${empty:inner}}", "inner"},
        {"?{} form", "${host?{yes}}", "yes"},
        {"?{}:{} when set", "${host?{yes}:{no}}", "yes"},
        {"?{}:{} when empty", "${empty?{yes}:{no}}", "no"},
        {"?{} :{} with spaces", "${empty?{yes} : {no}}", "no"},
        {":{} form", "${empty:{fallback}}", "fallback"},
        {"braces inside a value", "${host?{a {b} c}}", "a {b} c"},
        {"$(name?value)", "$(host?yes)", "yes"},
    };
    for (const Case& c : cases) {
      INFO(c.name, ": ", c.input);
      std::vector<std::vector<std::string>> loops;
      CHECK(expand_with(values, c.input, &loops) == c.want);
      CHECK(loops.empty());
    }
  }

  TEST_CASE("loops are cut, expand to empty, and are reported once each") {
    const std::map<std::string, std::string, std::less<>> values = {
        {"self", "x$self"}, {"a", "$b"}, {"b", "1${a}2"}, {"c", "$a $a"},
        {"cond", "${cond?x}"}, {"two", "$self $a"},
    };
    struct Case {
      std::string_view name;
      std::string_view input;
      std::string_view want;
      std::vector<std::vector<std::string>> want_loops;
    };
    const Case cases[] = {
        {"self reference", "$self", "x", {{"self", "self"}}},
        {"two names", "$a", "12", {{"a", "b", "a"}}},
        {"entered from outside", "$c", "12 12", {{"a", "b", "a"}}},
        {"in a condition", "$cond", "", {{"cond", "cond"}}},
        {"two loops", "$two", "x 12", {{"self", "self"}, {"a", "b", "a"}}},
    };
    for (const Case& c : cases) {
      INFO(c.name);
      std::vector<std::vector<std::string>> loops;
      CHECK(expand_with(values, c.input, &loops) == c.want);
      CHECK(loops == c.want_loops);
    }
  }

  TEST_CASE("a computed value may expand other names through the Expander") {
    // "derived" is computed from "base", as mydomain is from myhostname.
    std::map<std::string, std::string, std::less<>> values = {{"base", "mail.example.com"}};
    auto lookup = [&](std::string_view name, Expander& x) -> std::optional<std::string> {
      if (name == "derived") return "<" + x.expand_name("base") + ">";
      auto it = values.find(name);
      if (it == values.end()) return std::nullopt;
      return it->second;
    };
    Expander ok(lookup);
    CHECK(ok.expand_text("$derived") == "<mail.example.com>");
    CHECK(ok.loops().empty());

    values["base"] = "x.$derived";
    Expander looping(lookup);
    CHECK(looping.expand_text("$derived") == "<x.>");
    REQUIRE(looping.loops().size() == 1);
    CHECK(looping.loops()[0] == std::vector<std::string>{"derived", "base", "derived"});
  }

  TEST_CASE("scan: references and syntax errors") {
    struct Case {
      std::string_view name;
      std::string_view input;
      std::vector<std::string> plain;
      std::vector<std::string> conditional;
      std::string_view error;
    };
    const Case cases[] = {
        {"none", "plain $$text", {}, {}, ""},
        {"plain forms", "$a ${b} $(c)", {"a", "b", "c"}, {}, ""},
        {"conditionals", "${a?$b} ${c:${d}}", {"b", "d"}, {"a", "c"}, ""},
        {"else branch", "${a?{$b}:{$c}}", {"b", "c"}, {"a"}, ""},
        {"missing }", "x ${a", {}, {}, "missing '}' in \"${a\""},
        {"missing )", "$(a", {}, {}, "missing ')' in \"$(a\""},
        {"missing } in a conditional", "${a?${b}", {}, {}, "missing '}' in \"${a?${b}\""},
        {"empty name", "${}", {}, {}, "invalid parameter name in \"${}\""},
        {"space in name", "${my host}", {}, {}, "invalid parameter name in \"${my host}\""},
        {"dash in name", "${my-host}", {}, {}, "invalid parameter name in \"${my-host}\""},
        {"error after a good macro", "$a ${", {"a"}, {}, "missing '}' in \"${\""},
        {"error inside a conditional", "${a?${b c}}", {}, {"a"},
         "invalid parameter name in \"${b c}\""},
        {"junk after {}:{}", "${a?{x}:{y}z}", {}, {},
         "malformed \"${a?{x}:{y}z}\" (want ${name?{value}:{value}})"},
        {"{}:{} after :", "${a:{x}:{y}}", {}, {},
         "malformed \"${a:{x}:{y}}\" (want ${name?{value}:{value}})"},
    };
    for (const Case& c : cases) {
      INFO(c.name, ": ", c.input);
      References refs = scan(c.input);
      CHECK(refs.plain == c.plain);
      CHECK(refs.conditional == c.conditional);
      CHECK(refs.error == c.error);
    }
  }

  TEST_CASE("broken macros expand as literal text") {
    CHECK(expand_with({{"a", "A"}}, "$a ${b") == "A ${b");
  }
}

}  // namespace
}  // namespace tern::config

// Expand: Postfix's $name macros in parameter values, done at look-up time.
//   $name  ${name}  $(name)    the (recursively expanded) value of name; empty if undefined
//   ${name?value}              value when name is non-empty, else empty
//   ${name:value}              value when name is empty or undefined, else empty
//   ${name?{value}:{other}}    Postfix 3 if/else form ({value} also works with ':')
//   $$                         a literal $; a $ followed by anything else is literal too
// Values inside conditionals expand too. An Expander follows one look-up: it remembers the
// names being expanded, so a loop ("a = $b", "b = $a") is cut and reported, never followed.
// Syntax errors (a missing '}', a bad name) are found by scan(); expansion treats broken
// text as literal, since load() has already refused it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tern::config {

// One macro in a value, pointing into the scanned text.
struct Macro {
  std::string_view name;
  char op = 0;                  // 0 (plain), '?' or ':'
  std::string_view then_text;   // for '?' and ':'
  std::string_view else_text;   // for ${name?{a}:{b}}
  bool has_else = false;
};

// Splits text into literal pieces and macros. Returns "" or a syntax error, in which case
// the rest of the text from the bad '$' on was passed to on_literal.
std::string walk_macros(std::string_view text,
                        const std::function<void(std::string_view)>& on_literal,
                        const std::function<void(const Macro&)>& on_macro);

// The names a value refers to, at any depth, without looking them up.
struct References {
  std::vector<std::string> plain;        // $name, ${name}: undefined ones expand to empty
  std::vector<std::string> conditional;  // ${name?...}, ${name:...}: undefined is expected
  std::string error;                     // the first syntax error, or ""
};
References scan(std::string_view text);

class Expander {
 public:
  // The unexpanded value of name, or nullopt when there is no such parameter. It may call
  // back into the Expander (a computed default that depends on another parameter).
  using Lookup = std::function<std::optional<std::string>(std::string_view name, Expander&)>;

  explicit Expander(Lookup lookup) : lookup_(std::move(lookup)) {}

  std::string expand_name(std::string_view name);
  std::string expand_text(std::string_view text);

  // Every distinct loop met, each as the cycle of names ending with its first
  // ({"a", "b", "a"}); the looping reference expanded to empty.
  const std::vector<std::vector<std::string>>& loops() const { return loops_; }

 private:
  Lookup lookup_;
  std::vector<std::string> stack_;
  std::vector<std::vector<std::string>> loops_;
};

}  // namespace tern::config

// Expand: $name macro parsing and recursive expansion with loop detection (see expand.h).
#include "common/config/expand.h"

#include <algorithm>

#include "common/config/values.h"

namespace tern::config {
namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// The position of the bracket closing the one just before `from`, counting nesting.
size_t matching_close(std::string_view text, size_t from, char open, char close) {
  int depth = 1;
  for (size_t i = from; i < text.size(); ++i) {
    if (text[i] == open) ++depth;
    else if (text[i] == close && --depth == 0) return i;
  }
  return std::string_view::npos;
}

// Reads a whole "{...}" group at the start of text; false when text is not one group.
bool brace_group(std::string_view text, std::string_view* inside, std::string_view* rest) {
  if (text.empty() || text[0] != '{') return false;
  size_t end = matching_close(text, 1, '{', '}');
  if (end == std::string_view::npos) return false;
  *inside = text.substr(1, end - 1);
  *rest = trim(text.substr(end + 1));
  return true;
}

// Fills the value part of ${name?arg} / ${name:arg}; false on a malformed {a}:{b} form.
bool parse_argument(std::string_view arg, Macro* m) {
  std::string_view trimmed = trim(arg);
  std::string_view inside, rest;
  if (!brace_group(trimmed, &inside, &rest)) {
    m->then_text = arg;
    return true;
  }
  m->then_text = inside;
  if (rest.empty()) return true;
  if (m->op != '?' || rest[0] != ':') return false;
  std::string_view other, after;
  if (!brace_group(trim(rest.substr(1)), &other, &after) || !after.empty()) return false;
  m->else_text = other;
  m->has_else = true;
  return true;
}

// Parses the bracketed macro starting at text[i] == '$'; returns the position after it, or
// npos with *error set.
size_t bracketed_macro(std::string_view text, size_t i, Macro* m, std::string* error) {
  char open = text[i + 1];
  char close = open == '{' ? '}' : ')';
  size_t j = i + 2;
  while (j < text.size() && is_name_char(text[j])) ++j;
  m->name = text.substr(i + 2, j - i - 2);
  size_t end = matching_close(text, i + 2, open, close);
  if (end == std::string_view::npos) {
    *error = std::string("missing '") + close + "' in \"" + std::string(text.substr(i)) + "\"";
    return end;
  }
  std::string_view whole = text.substr(i, end + 1 - i);
  if (m->name.empty() || (j != end && text[j] != '?' && text[j] != ':')) {
    *error = "invalid parameter name in \"" + std::string(whole) + "\"";
    return std::string_view::npos;
  }
  if (j != end) {
    m->op = text[j];
    if (!parse_argument(text.substr(j + 1, end - j - 1), m)) {
      *error = "malformed \"" + std::string(whole) + "\" (want ${name?{value}:{value}})";
      return std::string_view::npos;
    }
  }
  return end + 1;
}

}  // namespace

std::string walk_macros(std::string_view text,
                        const std::function<void(std::string_view)>& on_literal,
                        const std::function<void(const Macro&)>& on_macro) {
  size_t i = 0;
  while (i < text.size()) {
    size_t dollar = text.find('$', i);
    if (dollar == std::string_view::npos) break;
    if (dollar > i) on_literal(text.substr(i, dollar - i));
    char next = dollar + 1 < text.size() ? text[dollar + 1] : '\0';
    Macro m;
    if (next == '$') {
      on_literal("$");
      i = dollar + 2;
    } else if (next == '{' || next == '(') {
      std::string error;
      size_t after = bracketed_macro(text, dollar, &m, &error);
      if (after == std::string_view::npos) {
        on_literal(text.substr(dollar));
        return error;
      }
      on_macro(m);
      i = after;
    } else if (is_name_char(next)) {
      size_t end = dollar + 1;
      while (end < text.size() && is_name_char(text[end])) ++end;
      m.name = text.substr(dollar + 1, end - dollar - 1);
      on_macro(m);
      i = end;
    } else {
      on_literal("$");
      i = dollar + 1;
    }
  }
  if (i < text.size()) on_literal(text.substr(i));
  return "";
}

References scan(std::string_view text) {
  References refs;
  std::function<void(std::string_view)> visit = [&](std::string_view t) {
    std::string error = walk_macros(
        t, [](std::string_view) {},
        [&](const Macro& m) {
          (m.op == 0 ? refs.plain : refs.conditional).emplace_back(m.name);
          visit(m.then_text);
          visit(m.else_text);
        });
    if (refs.error.empty()) refs.error = std::move(error);
  };
  visit(text);
  return refs;
}

std::string Expander::expand_name(std::string_view name) {
  auto seen = std::find(stack_.begin(), stack_.end(), name);
  if (seen != stack_.end()) {
    std::vector<std::string> cycle(seen, stack_.end());
    cycle.emplace_back(name);
    if (std::find(loops_.begin(), loops_.end(), cycle) == loops_.end()) loops_.push_back(cycle);
    return "";
  }
  stack_.emplace_back(name);  // before the look-up: a computed default may expand others
  std::optional<std::string> raw = lookup_(name, *this);
  std::string value = raw ? expand_text(*raw) : "";
  stack_.pop_back();
  return value;
}

std::string Expander::expand_text(std::string_view text) {
  std::string out;
  walk_macros(
      text, [&](std::string_view literal) { out += literal; },
      [&](const Macro& m) {
        if (m.op == 0) {
          out += expand_name(m.name);
          return;
        }
        bool empty = expand_name(m.name).empty();
        if (m.op == '?' && !empty) out += expand_text(m.then_text);
        else if (m.op == '?' && m.has_else) out += expand_text(m.else_text);
        else if (m.op == ':' && empty) out += expand_text(m.then_text);
      });
  return out;
}

}  // namespace tern::config

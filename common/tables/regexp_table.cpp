// RegexpTable: parsing and matching of regexp: and pcre: tables (see regexp_table.h).
#include "common/tables/regexp_table.h"

#include <sys/stat.h>

#include <cctype>
#include <cstring>

#include "common/tables/file_text.h"
#include "common/tables/logical_lines.h"

namespace tern::tables {
namespace {

constexpr size_t kMaxGroups = 9;  // $1..$9

struct RegexFree {
  void operator()(regex_t* r) const {
    regfree(r);
    delete r;
  }
};

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_left(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  return s;
}

// The group a "$n", "${n}" or "$(n)" at text[i] (text[i] == '$') refers to, and its length;
// 0 groups for "$$" or a '$' that starts no reference (it stays as written).
struct Reference {
  size_t group = 0;
  size_t length = 1;
  bool dollar = false;  // "$$"
};

Reference reference_at(std::string_view text, size_t i) {
  Reference ref;
  if (i + 1 >= text.size()) return ref;
  char next = text[i + 1];
  if (next == '$') return {0, 2, true};
  if (std::isdigit(static_cast<unsigned char>(next))) return {static_cast<size_t>(next - '0'), 2, false};
  if (next == '{' || next == '(') {
    char close = next == '{' ? '}' : ')';
    size_t end = text.find(close, i + 2);
    if (end == std::string_view::npos || end == i + 2) return ref;
    size_t n = 0;
    for (size_t k = i + 2; k < end; ++k) {
      if (!std::isdigit(static_cast<unsigned char>(text[k]))) return ref;
      n = n * 10 + static_cast<size_t>(text[k] - '0');
      if (n > 100) return ref;
    }
    return {n, end - i + 1, false};
  }
  return ref;
}

// The largest $n in a result (0: none).
size_t highest_reference(std::string_view result) {
  size_t highest = 0;
  for (size_t i = 0; i < result.size();) {
    if (result[i] != '$') { ++i; continue; }
    Reference ref = reference_at(result, i);
    if (ref.group > highest) highest = ref.group;
    i += ref.length;
  }
  return highest;
}

// PCRE syntax that POSIX extended expressions lack or read differently; "" when none.
std::string pcre_only_syntax(std::string_view pattern) {
  static constexpr std::string_view kEscapes = "dDhHvVRNKAzZGxQEpPXC0123456789";
  bool in_bracket = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (in_bracket) {
      if (c == ']') in_bracket = false;
      continue;
    }
    if (c == '[') {
      in_bracket = true;
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') ++i;
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') ++i;  // "[]...]": ']' is literal
      continue;
    }
    if (c == '\\' && i + 1 < pattern.size()) {
      char e = pattern[i + 1];
      if (kEscapes.find(e) != std::string_view::npos) return std::string("\"\\") + e + "\"";
      ++i;
      continue;
    }
    if (c == '(' && i + 1 < pattern.size() && pattern[i + 1] == '?') return "\"(?\"";
    bool quantifier = c == '*' || c == '+' || c == '?' || c == '}';
    if (quantifier && i + 1 < pattern.size() && (pattern[i + 1] == '?' || pattern[i + 1] == '+'))
      return std::string("\"") + c + pattern[i + 1] + "\"";
  }
  return "";
}

struct Pattern {
  std::string text;
  std::string flags;
  bool negate = false;
  std::string_view rest;  // after the flags
};

// "!/re/flags rest" -> its parts; "" error when fine.
std::string split_pattern(std::string_view s, Pattern* out) {
  if (!s.empty() && s.front() == '!') {
    out->negate = true;
    s.remove_prefix(1);
  }
  if (s.empty() || std::isalnum(static_cast<unsigned char>(s.front())) || is_blank(s.front()) || s.front() == '\\')
    return "a pattern must start with a delimiter, as in /pattern/";
  char delimiter = s.front();
  size_t i = 1;
  for (; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      ++i;
    } else if (s[i] == delimiter) {
      break;
    }
  }
  if (i >= s.size()) return std::string("missing closing delimiter '") + delimiter + "'";
  out->text = std::string(s.substr(1, i - 1));
  size_t flags_end = i + 1;
  while (flags_end < s.size() && !is_blank(s[flags_end])) ++flags_end;
  out->flags = std::string(s.substr(i + 1, flags_end - i - 1));
  out->rest = trim_left(s.substr(flags_end));
  return "";
}

// regcomp() flags from the table's flag letters; "" error when fine.
std::string compile_flags(const std::string& flags, RegexpDialect dialect, int* cflags) {
  *cflags = REG_EXTENDED | REG_ICASE;
  for (char f : flags) {
    if (f == 'i') {
      *cflags ^= REG_ICASE;
    } else if (f == 'm') {
      *cflags ^= REG_NEWLINE;
    } else if (f == 'x' && dialect == RegexpDialect::kRegexp) {
      *cflags ^= REG_EXTENDED;
    } else if (dialect == RegexpDialect::kPcre && std::strchr("sxAEUX", f) != nullptr) {
      return std::string("PCRE flag '") + f + "' is not available: Tern reads pcre: tables with POSIX extended regular expressions";
    } else {
      return std::string("unknown flag '") + f + "' (want i, m" + (dialect == RegexpDialect::kRegexp ? " or x)" : ")");
    }
  }
  return "";
}

Result<std::shared_ptr<regex_t>> compile(const Pattern& p, RegexpDialect dialect, bool want_groups) {
  if (dialect == RegexpDialect::kPcre) {
    std::string syntax = pcre_only_syntax(p.text);
    if (!syntax.empty())
      return fail("PCRE syntax " + syntax + " is not available: Tern reads pcre: tables with POSIX extended regular expressions");
  }
  int cflags = 0;
  if (std::string why = compile_flags(p.flags, dialect, &cflags); !why.empty()) return fail(why);
  if (!want_groups) cflags |= REG_NOSUB;
  auto compiled = std::make_unique<regex_t>();
  int rc = regcomp(compiled.get(), p.text.c_str(), cflags);
  if (rc != 0) {  // nothing to regfree: unique_ptr only deletes
    char why[256];
    regerror(rc, compiled.get(), why, sizeof why);
    return fail("bad regular expression /" + p.text + "/: " + why);
  }
  std::shared_ptr<regex_t> regex(compiled.release(), RegexFree());
  return regex;
}

bool matches(const regex_t& regex, std::string_view subject, bool negate, regmatch_t* groups, size_t ngroups) {
  groups[0].rm_so = 0;
  groups[0].rm_eo = static_cast<regoff_t>(subject.size());
  bool hit = regexec(&regex, subject.data(), ngroups, groups, REG_STARTEND) == 0;
  return hit != negate;
}

std::string substitute(std::string_view result, std::string_view subject, const regmatch_t* groups) {
  std::string out;
  out.reserve(result.size());
  for (size_t i = 0; i < result.size();) {
    if (result[i] != '$') {
      out += result[i++];
      continue;
    }
    Reference ref = reference_at(result, i);
    if (ref.dollar) {
      out += '$';
    } else if (ref.group == 0) {
      out += '$';
    } else if (groups[ref.group].rm_so >= 0) {
      out.append(subject.substr(static_cast<size_t>(groups[ref.group].rm_so),
                                static_cast<size_t>(groups[ref.group].rm_eo - groups[ref.group].rm_so)));
    }
    i += ref.length;
  }
  return out;
}

}  // namespace

Result<RegexpTable> RegexpTable::parse(std::string_view text, const std::string& path, RegexpDialect dialect) {
  RegexpTable table;
  table.path_ = path;
  std::vector<size_t> open_ifs;
  for (const LogicalLine& l : logical_lines(text)) {
    auto error = [&](const std::string& why) { return fail(path + ":" + std::to_string(l.line) + ": " + why); };
    if (l.orphan) return error("continuation line with nothing before it");
    std::string_view s = trim_left(l.text);
    while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
    Rule rule;
    rule.line = l.line;
    if (s == "endif" || s == "ENDIF") {
      if (open_ifs.empty()) return error("endif without a matching if");
      table.rules_[open_ifs.back()].endif = table.rules_.size();
      open_ifs.pop_back();
      rule.kind = Rule::Kind::kEndif;
      table.rules_.push_back(std::move(rule));
      continue;
    }
    bool is_if = (s.starts_with("if") || s.starts_with("IF")) && s.size() > 2 && is_blank(s[2]);
    if (is_if) s = trim_left(s.substr(2));
    Pattern p;
    if (std::string why = split_pattern(s, &p); !why.empty()) return error(why);
    size_t groups = 0;
    if (is_if) {
      if (!p.rest.empty()) return error("text after the pattern of an if: \"" + std::string(p.rest) + "\"");
      rule.kind = Rule::Kind::kIf;
    } else {
      if (p.rest.empty()) return error("missing result after the pattern");
      rule.result = std::string(p.rest);
      groups = highest_reference(rule.result);
      if (groups > 0 && p.negate) return error("$" + std::to_string(groups) + " in the result of a negated pattern");
      if (groups > kMaxGroups) return error("$" + std::to_string(groups) + ": at most $" + std::to_string(kMaxGroups) + " is supported");
    }
    auto regex = compile(p, dialect, groups > 0);
    if (!regex) return error(regex.error().message);
    if (groups > (*regex)->re_nsub)
      return error("$" + std::to_string(groups) + " but the pattern has " + std::to_string((*regex)->re_nsub) + " parenthesised groups");
    rule.regex = std::move(*regex);
    rule.negate = p.negate;
    if (is_if) open_ifs.push_back(table.rules_.size());
    table.rules_.push_back(std::move(rule));
  }
  if (!open_ifs.empty())
    return fail(path + ":" + std::to_string(table.rules_[open_ifs.back()].line) + ": if without a matching endif");
  return table;
}

Result<RegexpTable> RegexpTable::load(const std::string& path, RegexpDialect dialect) {
  struct stat st {};
  auto text = read_file_text(path, "table", &st);
  if (!text) return std::unexpected(text.error());
  return parse(*text, path, dialect);
}

std::optional<RegexpTable::Match> RegexpTable::find(std::string_view subject) const {
  regmatch_t groups[kMaxGroups + 1];
  for (size_t i = 0; i < rules_.size(); ++i) {
    const Rule& rule = rules_[i];
    if (rule.kind == Rule::Kind::kEndif) continue;
    size_t ngroups = rule.kind == Rule::Kind::kMatch ? kMaxGroups + 1 : 1;
    bool hit = matches(*rule.regex, subject, rule.negate, groups, ngroups);
    if (rule.kind == Rule::Kind::kIf) {
      if (!hit) i = rule.endif;
      continue;
    }
    if (hit) return Match{rule.negate ? rule.result : substitute(rule.result, subject, groups), rule.line};
  }
  return std::nullopt;
}

}  // namespace tern::tables

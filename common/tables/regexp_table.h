// RegexpTable: a Postfix regexp_table(5) / pcre_table(5) file, compiled once, matched many
// times (header_checks and body_checks). Each logical line is
//   /pattern/flags result      first matching rule wins; "!/pattern/" matches when it does not
//   if /pattern/flags          the rules up to the matching "endif" apply only when it matches
//   endif                      ("if !/pattern/" too); blocks nest
// Patterns are POSIX extended regular expressions (<regex.h>). Flags: "i" toggles case
// sensitivity (matching is case-INsensitive by default, as in Postfix), "m" toggles multi-line
// mode, "x" (regexp: only) toggles extended syntax. The delimiter is the first character after
// the optional "!" ('/' by convention); "\<delimiter>" inside the pattern stands for itself.
// In the result, $1..$9 (or ${n}, $(n)) insert what the n-th parenthesised group matched and
// "$$" is one "$".
//
// pcre: tables are read with the same POSIX engine (Tern does not link libpcre): a pattern that
// uses PCRE-only syntax (\d, \h, (?...), lazy or possessive quantifiers, ...) or a PCRE-only
// flag is refused with "file:line: why" rather than silently matching something else.
//
// Errors (from parse and load): "file:line: why" -- a bad pattern (regcomp's message), a
// missing result, an unknown flag, $n beyond the pattern's groups or in a negated pattern,
// an unbalanced if/endif. Matching never fails. Immutable after parse: safe to share.
#pragma once

#include <regex.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace tern::tables {

enum class RegexpDialect { kRegexp, kPcre };

class RegexpTable {
 public:
  struct Rule {
    enum class Kind { kMatch, kIf, kEndif };
    Kind kind = Kind::kMatch;
    std::shared_ptr<regex_t> regex;  // null for kEndif
    bool negate = false;
    std::string result;              // kMatch: the result as written
    int line = 0;
    size_t endif = 0;                // kIf: index of its endif
  };

  // Parses the text of a table file; `path` names it in errors.
  static Result<RegexpTable> parse(std::string_view text, const std::string& path, RegexpDialect dialect);
  // Reads and parses a file.
  static Result<RegexpTable> load(const std::string& path, RegexpDialect dialect);

  // The result of the first rule that matches subject, with $n substituted, and that rule's
  // line; nullopt when none matches.
  struct Match {
    std::string result;
    int line = 0;
  };
  std::optional<Match> find(std::string_view subject) const;

  const std::vector<Rule>& rules() const { return rules_; }
  const std::string& path() const { return path_; }

 private:
  std::vector<Rule> rules_;
  std::string path_;
};

}  // namespace tern::tables

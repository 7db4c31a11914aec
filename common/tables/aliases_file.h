// aliases(5) parser, shared by lookup (alias_maps queries), local (delivery) and newaliases.
//   name: target, target, ...        # "name" may be quoted: "a b": x
//       target, ...                  (lines starting with white space continue)
// Targets are addresses, "|command", "/file" or ":include:/file"; a target wholly in double
// quotes is unquoted ("|/bin/cmd arg" -> |/bin/cmd arg). Names are folded to lower case.
// Errors are "file:line: why". Pure; no I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace tern::tables {

struct AliasEntry {
  std::string name;
  std::vector<std::string> targets;
  int line = 0;
};

// Every entry, or the first error. A duplicate name is an error too.
Result<std::vector<AliasEntry>> parse_aliases(std::string_view text, std::string_view filename);

// Every good entry; each bad line (and each later duplicate, which is ignored) is appended
// to *errors as "file:line: why" and skipped -- what a serving process wants.
std::vector<AliasEntry> parse_aliases_lenient(std::string_view text, std::string_view filename,
                                              std::vector<std::string>* errors);

}  // namespace tern::tables

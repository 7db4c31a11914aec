// Logical lines of a Postfix-style text file (postmap(1), aliases(5)): blank lines and lines
// whose first non-blank character is '#' are ignored; a line that starts with white space
// continues the previous logical line. Pure; no I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tern::tables {

struct LogicalLine {
  int line = 0;        // where it starts (1-based)
  std::string text;    // the joined text, continuation lines joined with one space
  bool orphan = false; // a continuation line with nothing before it to continue
};

std::vector<LogicalLine> logical_lines(std::string_view text);

}  // namespace tern::tables

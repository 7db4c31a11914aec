// Lines: main.cf's logical lines. A line whose first non-blank character is '#' is a
// comment and a line of white space is blank; both are skipped (also in the middle of a
// continued line, as in Postfix). A line starting with white space continues the previous
// logical line, joined with one space. Each logical line is then "name = value".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace tern::config {

struct LogicalLine {
  int line = 0;            // where it starts (1-based)
  std::string text;        // the joined text, trimmed
  bool orphan = false;     // starts with a continuation: there was no line to continue
};

std::vector<LogicalLine> logical_lines(std::string_view text);

struct Setting {
  std::string name;
  std::string value;       // trimmed, unexpanded
};

// Splits "name = value"; the error is the "why" of a config message.
Result<Setting> parse_setting(std::string_view text);

// Parameter names are letters, digits and '_' ("2bounce_notice_recipient" is one).
bool is_valid_name(std::string_view name);

}  // namespace tern::config

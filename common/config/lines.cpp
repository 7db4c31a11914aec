// Lines: logical lines of tern.conf and their "name = value" split (see lines.h).
#include "common/config/lines.h"

#include "common/config/values.h"

namespace tern::config {

std::vector<LogicalLine> logical_lines(std::string_view text) {
  std::vector<LogicalLine> lines;
  int number = 0;
  bool continuable = false;  // a logical line is open
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view raw = text.substr(pos, end - pos);
    pos = end + 1;
    ++number;
    std::string_view body = trim(raw);
    if (body.empty() || body[0] == '#') continue;
    bool continuation = raw[0] == ' ' || raw[0] == '\t';
    if (continuation && continuable) {
      lines.back().text += ' ';
      lines.back().text += body;
      continue;
    }
    lines.push_back(LogicalLine{number, std::string(body), continuation});
    continuable = true;
  }
  return lines;
}

Result<Setting> parse_setting(std::string_view text) {
  size_t eq = text.find('=');
  if (eq == std::string_view::npos)
    return fail("missing '=' in \"" + std::string(text) + "\" (want name = value)");
  std::string_view name = trim(text.substr(0, eq));
  if (name.empty()) return fail("missing parameter name before '='");
  if (!is_valid_name(name))
    return fail("invalid parameter name \"" + std::string(name) +
                "\" (letters, digits and '_' only)");
  return Setting{std::string(name), std::string(trim(text.substr(eq + 1)))};
}

bool is_valid_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  return true;
}

}  // namespace tern::config

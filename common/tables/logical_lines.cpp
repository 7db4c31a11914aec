// Logical lines with Postfix's continuation and comment rules (see logical_lines.h).
#include "common/tables/logical_lines.h"

namespace tern::tables {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

std::vector<LogicalLine> logical_lines(std::string_view text) {
  std::vector<LogicalLine> out;
  int number = 0;
  bool open = false;  // the last logical line may still be continued
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view raw = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++number;
    std::string_view body = trim(raw);
    if (body.empty() || body.front() == '#') continue;
    if (is_blank(raw.front())) {
      if (open) {
        out.back().text += ' ';
        out.back().text += body;
      } else {
        out.push_back({number, std::string(body), true});
      }
      continue;
    }
    out.push_back({number, std::string(body), false});
    open = true;
  }
  return out;
}

}  // namespace tern::tables

// Reply formatting (see reply.h).
#include "common/smtp/reply.h"

namespace tern::smtp {
namespace {

void append_line(std::string* out, int code, char sep, std::string_view enhanced, std::string_view text) {
  out->append(std::to_string(code));
  out->push_back(sep);
  if (!enhanced.empty()) {
    out->append(enhanced);
    out->push_back(' ');
  }
  // A reply line never carries CR or LF from its text: they would forge another reply.
  for (char c : text) out->push_back(c == '\r' || c == '\n' ? ' ' : c);
  out->append("\r\n");
}

}  // namespace

std::string format_reply(int code, std::string_view enhanced, std::string_view text) {
  std::string out;
  append_line(&out, code, ' ', enhanced, text);
  return out;
}

std::string format_multiline(int code, std::string_view enhanced, const std::vector<std::string>& lines) {
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    append_line(&out, code, i + 1 == lines.size() ? ' ' : '-', enhanced, lines[i]);
  }
  return out;
}

}  // namespace tern::smtp

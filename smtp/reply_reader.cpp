// ReplyReader: SMTP reply framing with limits (see reply_reader.h).
#include "smtp/reply_reader.h"

#include <cctype>

namespace tern::smtp {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Printable form of a hostile line for a diagnostic: at most 60 bytes, controls as '?'.
std::string sample(std::string_view line) {
  std::string out;
  for (char c : line.substr(0, 60)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  return out;
}

}  // namespace

std::string Reply::text() const {
  std::string out = std::to_string(code);
  for (size_t i = 0; i < lines.size(); ++i) {
    out += ' ';
    out += lines[i];
  }
  return out;
}

std::string Reply::enhanced_status() const {
  if (lines.empty()) return "";
  const std::string& l = lines[0];
  // d.ddd.ddd followed by a space or the end.
  size_t i = 0;
  if (i >= l.size() || (l[i] != '2' && l[i] != '4' && l[i] != '5') || l[i] - '0' != code / 100) return "";
  ++i;
  for (int part = 0; part < 2; ++part) {
    if (i >= l.size() || l[i] != '.') return "";
    ++i;
    size_t start = i;
    while (i < l.size() && is_digit(l[i]) && i - start < 3) ++i;
    if (i == start) return "";
  }
  if (i < l.size() && l[i] != ' ') return "";
  return l.substr(0, i);
}

Result<std::optional<Reply>> ReplyReader::next() {
  if (error_) return std::unexpected(*error_);
  auto bad = [this](std::string why) -> Result<std::optional<Reply>> {
    error_ = Error{std::move(why), 0};
    return std::unexpected(*error_);
  };
  while (true) {
    size_t eol = buffer_.find('\n');
    if (eol == std::string::npos) {
      if (buffer_.size() > kMaxLineLength) return bad("reply line longer than " + std::to_string(kMaxLineLength) + " bytes");
      return std::optional<Reply>{};
    }
    if (eol > kMaxLineLength) return bad("reply line longer than " + std::to_string(kMaxLineLength) + " bytes");
    std::string_view line(buffer_.data(), eol);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() < 3 || !is_digit(line[0]) || !is_digit(line[1]) || !is_digit(line[2]) ||
        line[0] < '2' || line[0] > '5' || (line.size() > 3 && line[3] != ' ' && line[3] != '-')) {
      return bad("malformed reply line \"" + sample(line) + "\"");
    }
    for (char c : line) {
      if (c == '\0') return bad("NUL byte in reply");
    }
    int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (!pending_.lines.empty() && code != pending_.code) {
      return bad("reply code changed from " + std::to_string(pending_.code) + " to " + std::to_string(code) +
                 " within a multi-line reply");
    }
    if (pending_.lines.size() >= kMaxLines) return bad("multi-line reply longer than " + std::to_string(kMaxLines) + " lines");
    pending_.code = code;
    bool last = line.size() == 3 || line[3] == ' ';
    pending_.lines.emplace_back(line.size() > 4 ? line.substr(4) : std::string_view());
    buffer_.erase(0, eol + 1);
    if (last) {
      Reply done = std::move(pending_);
      pending_ = Reply{};
      return std::optional<Reply>(std::move(done));
    }
  }
}

}  // namespace tern::smtp

// DATA encoding: CRLF normalisation and dot-stuffing (see data_encoder.h).
#include "smtp/data_encoder.h"

namespace tern::smtp {

std::string encode_data(std::string_view message) {
  std::string out;
  out.reserve(message.size() + message.size() / 50 + 8);
  bool at_line_start = true;
  for (size_t i = 0; i < message.size(); ++i) {
    char c = message[i];
    if (c == '\r' || c == '\n') {
      // CRLF is one line end; a lone CR or LF is one too.
      if (c == '\r' && i + 1 < message.size() && message[i + 1] == '\n') ++i;
      out += "\r\n";
      at_line_start = true;
      continue;
    }
    if (at_line_start && c == '.') out += '.';
    out += c;
    at_line_start = false;
  }
  if (!at_line_start) out += "\r\n";
  out += ".\r\n";
  return out;
}

bool headers_have_8bit(std::string_view message) {
  size_t end = message.find("\n\n");
  size_t end_crlf = message.find("\r\n\r\n");
  if (end_crlf < end) end = end_crlf;
  std::string_view headers = message.substr(0, end == std::string_view::npos ? message.size() : end);
  for (char c : headers) {
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  }
  return false;
}

}  // namespace tern::smtp

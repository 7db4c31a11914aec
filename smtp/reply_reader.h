// ReplyReader: splits the bytes a remote SMTP server sends into complete replies (RFC 5321
// §4.2): "250-first\r\n250 last\r\n". Pure: no I/O, fed from the session's read callback.
//
// A hostile or broken server cannot make it grow without bound: a line longer than
// kMaxLineLength, a reply of more than kMaxLines lines, a line that is not "ddd-" or "ddd "
// (or bare "ddd"), or a continuation whose code differs from the first line's is an Error, and
// the session must end with a temporary failure. Bare LF ends a line (as Postfix accepts).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace tern::smtp {

struct Reply {
  int code = 0;                     // 250
  std::vector<std::string> lines;   // text after "ddd-"/"ddd " on each line
  // "250 2.0.0 ok" or, for several lines, the lines joined by a space as Postfix logs them.
  std::string text() const;
  // The enhanced status code at the start of the first line ("2.1.5"), or "" if none.
  std::string enhanced_status() const;
  int klass() const { return code / 100; }
};

class ReplyReader {
 public:
  static constexpr size_t kMaxLineLength = 2048;
  static constexpr size_t kMaxLines = 200;

  // Appends bytes read from the peer.
  void append(std::string_view bytes) { buffer_.append(bytes); }
  // The next complete reply, nullopt when more bytes are needed, or an Error (sticky).
  Result<std::optional<Reply>> next();
  // Drops everything buffered (after STARTTLS: nothing sent before the handshake may count).
  size_t discard() {
    size_t n = buffer_.size();
    buffer_.clear();
    pending_ = Reply{};
    return n;
  }
  bool empty() const { return buffer_.empty(); }

 private:
  std::string buffer_;
  Reply pending_;  // lines of a multi-line reply read so far
  std::optional<Error> error_;
};

}  // namespace tern::smtp

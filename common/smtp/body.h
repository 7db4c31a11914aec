// Message content as it arrives after DATA or BDAT (RFC 5321 §4.1.4, RFC 3030).
//
// DataDecoder: the DATA stream. Removes dot-stuffing and finds the end of the data, which is
// CR LF "." CR LF and nothing else. Tern's choice against SMTP smuggling: a bare LF or bare CR
// is never a line end (so "\n.\n", "\r.\r", "\n.\r\n" and "\r\n.\r" end nothing), the bytes
// are kept as they came, and the message is flagged so that smtpd rejects it at the end with
// 550 5.5.2 -- no input can make one transaction deliver two messages, and no message with a
// bare CR or LF reaches the queue (where the smtp client would have to resend it).
//
// BareNewlineScanner: the same check for BDAT chunks, which are length-delimited.
// Both count lines longer than a limit and bytes beyond a size limit (bytes past the size
// limit are consumed but not returned). Each keeps a few bytes of state, nothing more.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tern::smtp {

class DataDecoder {
 public:
  DataDecoder(uint64_t size_limit, size_t line_limit) : size_limit_(size_limit), line_limit_(line_limit) {}

  // Consumes bytes from input until the end of the data or the end of the input; appends the
  // decoded message bytes to *out. Returns how many input bytes were consumed: the rest of the
  // input (after the final ".\r\n") belongs to the command stream.
  size_t feed(std::string_view input, std::string* out);

  bool done() const { return state_ == State::kDone; }
  bool bare_newline() const { return bare_newline_; }
  bool too_big() const { return too_big_; }
  bool line_too_long() const { return line_too_long_; }
  uint64_t size() const { return size_; }   // decoded bytes, including those past the limit

 private:
  enum class State { kLineStart, kMiddle, kCr, kDot, kDotCr, kDone };
  void emit(char c, std::string* out);
  void emit_run(std::string_view run, std::string* out);
  void middle(char c, std::string* out);
  void after_bare_cr(char c, std::string* out);

  uint64_t size_limit_;
  size_t line_limit_;
  State state_ = State::kLineStart;
  uint64_t size_ = 0;
  size_t line_length_ = 0;
  bool bare_newline_ = false;
  bool too_big_ = false;
  bool line_too_long_ = false;
};

class BareNewlineScanner {
 public:
  explicit BareNewlineScanner(size_t line_limit) : line_limit_(line_limit) {}
  void scan(std::string_view chunk);
  // Call at the end of the message: a trailing CR is bare too.
  void finish();
  bool bare_newline() const { return bare_newline_; }
  bool line_too_long() const { return line_too_long_; }

 private:
  size_t line_limit_;
  bool after_cr_ = false;
  size_t line_length_ = 0;
  bool bare_newline_ = false;
  bool line_too_long_ = false;
};

}  // namespace tern::smtp

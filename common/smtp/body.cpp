// DATA decoding and the bare-newline check (see body.h).
#include "common/smtp/body.h"

#include <algorithm>
#include <cstring>

namespace tern::smtp {
namespace {

// How many bytes of `s` come before its first CR or LF: the rest of a line, which in the
// middle of a line is copied as it is. Two memchr scans instead of a test per byte.
size_t plain_run(std::string_view s) {
  const void* cr = std::memchr(s.data(), '\r', s.size());
  size_t n = cr ? static_cast<size_t>(static_cast<const char*>(cr) - s.data()) : s.size();
  const void* lf = std::memchr(s.data(), '\n', n);
  return lf ? static_cast<size_t>(static_cast<const char*>(lf) - s.data()) : n;
}

}  // namespace

void DataDecoder::emit(char c, std::string* out) {
  ++size_;
  if (size_ > size_limit_) {
    too_big_ = true;
    return;
  }
  out->push_back(c);
}

// Mid-line bytes that hold no CR or LF, as middle() would take them one at a time.
void DataDecoder::emit_run(std::string_view run, std::string* out) {
  line_length_ += run.size();
  if (line_length_ > line_limit_) line_too_long_ = true;
  uint64_t room = size_ < size_limit_ ? size_limit_ - size_ : 0;
  size_ += run.size();
  if (run.size() > room) too_big_ = true;
  out->append(run.data(), static_cast<size_t>(std::min<uint64_t>(run.size(), room)));
}

// One byte in the middle of a line (or a line start that is not a dot).
void DataDecoder::middle(char c, std::string* out) {
  if (c == '\r') {
    state_ = State::kCr;
    return;
  }
  if (c == '\n') bare_newline_ = true;  // kept, and never a line end
  if (++line_length_ > line_limit_) line_too_long_ = true;
  emit(c, out);
  state_ = State::kMiddle;
}

// A CR that was not followed by LF: it is data (and marks the message as holding a bare CR);
// the byte after it is an ordinary mid-line byte.
void DataDecoder::after_bare_cr(char c, std::string* out) {
  bare_newline_ = true;
  ++line_length_;
  emit('\r', out);
  middle(c, out);
}

size_t DataDecoder::feed(std::string_view input, std::string* out) {
  size_t i = 0;
  while (i < input.size() && state_ != State::kDone) {
    if (state_ == State::kMiddle) {
      if (size_t run = plain_run(input.substr(i)); run > 0) {
        emit_run(input.substr(i, run), out);
        i += run;
        continue;
      }
    }
    char c = input[i++];
    switch (state_) {
      case State::kLineStart:
        if (c == '.') {
          state_ = State::kDot;
        } else {
          middle(c, out);
        }
        break;
      case State::kMiddle:
        middle(c, out);
        break;
      case State::kCr:
        if (c == '\n') {
          emit('\r', out);
          emit('\n', out);
          line_length_ = 0;
          state_ = State::kLineStart;
        } else {
          after_bare_cr(c, out);
        }
        break;
      case State::kDot:  // a leading dot is removed (RFC 5321 §4.5.2)
        if (c == '\r') {
          state_ = State::kDotCr;
        } else {
          middle(c, out);
        }
        break;
      case State::kDotCr:
        if (c == '\n') {
          state_ = State::kDone;
        } else {
          after_bare_cr(c, out);
        }
        break;
      case State::kDone:
        break;
    }
  }
  return i;
}

void BareNewlineScanner::scan(std::string_view chunk) {
  for (char c : chunk) {
    if (after_cr_) {
      after_cr_ = false;
      if (c == '\n') {
        line_length_ = 0;
        continue;
      }
      bare_newline_ = true;
    }
    if (c == '\r') {
      after_cr_ = true;
      continue;
    }
    if (c == '\n') bare_newline_ = true;
    if (++line_length_ > line_limit_) line_too_long_ = true;
  }
}

void BareNewlineScanner::finish() {
  if (after_cr_) bare_newline_ = true;
}

}  // namespace tern::smtp

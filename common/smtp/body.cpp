// DATA decoding and the bare-newline check (see body.h).
#include "common/smtp/body.h"

#include <algorithm>
#include <cstring>

namespace tern::smtp {
namespace {

// Where the next `byte` is in `input`, found with memchr and looked for again only once the
// caller has passed it: every search starts after the last one's find, so the input is
// scanned once per byte value however many runs it is cut into (bare LFs without a CR, say).
class NextByte {
 public:
  NextByte(std::string_view input, char byte) : input_(input), byte_(byte) {}

  // The position of the first `byte` at or after `from`, or input.size() when there is none.
  size_t at_or_after(size_t from) {
    if (!searched_ || found_ < from) {
      const void* p = std::memchr(input_.data() + from, byte_, input_.size() - from);
      found_ = p ? static_cast<size_t>(static_cast<const char*>(p) - input_.data()) : input_.size();
      searched_ = true;
    }
    return found_;
  }

 private:
  std::string_view input_;
  char byte_;
  bool searched_ = false;
  size_t found_ = 0;
};

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
  // In the middle of a line everything up to the next CR or LF is copied at once.
  NextByte next_cr(input, '\r'), next_lf(input, '\n');
  size_t i = 0;
  while (i < input.size() && state_ != State::kDone) {
    if (state_ == State::kMiddle) {
      size_t end = std::min(next_cr.at_or_after(i), next_lf.at_or_after(i));
      if (end > i) {
        emit_run(input.substr(i, end - i), out);
        i = end;
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

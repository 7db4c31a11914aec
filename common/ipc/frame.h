// IPC framing (DESIGN.md §3): a frame is a 4-byte big-endian length, then that many bytes of
// one serialized protobuf message. Lengths of 0 and over kMaxFrameSize are invalid in both
// directions.
//
// encode_frame() builds one frame. FrameDecoder is the reading side: a pure state machine
// with no I/O and no libuv, fed whatever bytes arrived and asked for complete frames one by
// one. It checks each length as soon as its 4 bytes are in, BEFORE reserving room for the
// body, and after a bad length it stays failed with a reason and drops every later byte, so a
// peer cannot make it allocate more than kMaxFrameSize plus what one feed() holds.
// Owns only its buffers; used on one thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include <google/protobuf/message_lite.h>

#include "common/result.h"

namespace tern::ipc {

inline constexpr size_t kMaxFrameSize = size_t{1} << 20;
inline constexpr size_t kFrameHeaderSize = 4;

// The 4 header bytes for a body of `length` bytes.
std::array<char, kFrameHeaderSize> frame_header(uint32_t length);

// Checks that `message` serializes to 1..kMaxFrameSize bytes and returns that size.
// An empty message (proto3 with every field at its default) cannot be framed: give requests
// and replies a non-zero id.
Result<size_t> frame_body_size(const google::protobuf::MessageLite& message);

// Header + serialized message. Fails on an empty or oversized message.
Result<std::string> encode_frame(const google::protobuf::MessageLite& message);

class FrameDecoder {
 public:
  // Consumes `bytes`. Ignored once failed().
  void feed(std::string_view bytes);

  // The next complete frame's payload, in arrival order; nullopt when none is complete.
  // Frames completed before a bad length are still returned; check failed() after draining.
  std::optional<std::string> next();

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }

  // True while some bytes of an unfinished frame are held (EOF now would cut a frame).
  bool mid_frame() const { return header_filled_ > 0 || expected_ > 0; }
  // Bytes held: the unfinished frame's header and body plus complete frames not yet taken.
  size_t buffered_bytes() const;
  // Bytes reserved for the unfinished frame's body (never more than kMaxFrameSize).
  size_t reserved_bytes() const { return body_.capacity(); }

 private:
  void fail(std::string reason);
  size_t take_header(std::string_view bytes);
  size_t take_body(std::string_view bytes);

  std::array<unsigned char, kFrameHeaderSize> header_{};
  size_t header_filled_ = 0;
  size_t expected_ = 0;  // body length of the unfinished frame, 0 while reading a header
  std::string body_;
  std::deque<std::string> complete_;
  size_t complete_bytes_ = 0;
  std::string error_;
};

}  // namespace tern::ipc

// Frame encoding and the incremental frame decoder.
#include "common/ipc/frame.h"

#include <google/protobuf/message_lite.h>

#include <algorithm>
#include <cstdio>

namespace tern::ipc {

std::array<char, kFrameHeaderSize> frame_header(uint32_t length) {
  return {static_cast<char>((length >> 24) & 0xff), static_cast<char>((length >> 16) & 0xff),
          static_cast<char>((length >> 8) & 0xff), static_cast<char>(length & 0xff)};
}

Result<size_t> frame_body_size(const google::protobuf::MessageLite& message) {
  size_t size = message.ByteSizeLong();
  if (size == 0) return fail("cannot frame an empty " + message.GetTypeName() + " message");
  if (size > kMaxFrameSize) {
    return fail(message.GetTypeName() + " message of " + std::to_string(size) +
                " bytes exceeds the IPC frame limit of " + std::to_string(kMaxFrameSize));
  }
  return size;
}

Result<std::string> encode_frame(const google::protobuf::MessageLite& message) {
  auto size = frame_body_size(message);
  if (!size) return std::unexpected(size.error());
  auto header = frame_header(static_cast<uint32_t>(*size));
  std::string out(kFrameHeaderSize + *size, '\0');
  std::copy(header.begin(), header.end(), out.begin());
  auto* body = reinterpret_cast<uint8_t*>(out.data() + kFrameHeaderSize);
  message.SerializeWithCachedSizesToArray(body);
  return out;
}

void FrameDecoder::feed(std::string_view bytes) {
  while (!bytes.empty() && !failed()) {
    size_t used = expected_ == 0 ? take_header(bytes) : take_body(bytes);
    bytes.remove_prefix(used);
  }
}

// Collects header bytes; once all 4 are in, validates the length before anything is reserved.
size_t FrameDecoder::take_header(std::string_view bytes) {
  size_t n = std::min(bytes.size(), kFrameHeaderSize - header_filled_);
  std::copy_n(bytes.begin(), n, header_.begin() + header_filled_);
  header_filled_ += n;
  if (header_filled_ < kFrameHeaderSize) return n;

  uint32_t length = (uint32_t{header_[0]} << 24) | (uint32_t{header_[1]} << 16) |
                    (uint32_t{header_[2]} << 8) | uint32_t{header_[3]};
  if (length == 0) {
    fail("zero-length frame");
  } else if (length > kMaxFrameSize) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "%02x%02x%02x%02x", header_[0], header_[1], header_[2],
                  header_[3]);
    fail("frame length " + std::to_string(length) + " (header bytes 0x" + hex +
         ") exceeds the limit of " + std::to_string(kMaxFrameSize));
  } else {
    header_filled_ = 0;
    expected_ = length;
    body_.reserve(length);
  }
  return n;
}

size_t FrameDecoder::take_body(std::string_view bytes) {
  size_t n = std::min(bytes.size(), expected_ - body_.size());
  body_.append(bytes.substr(0, n));
  if (body_.size() == expected_) {
    complete_bytes_ += body_.size();
    complete_.push_back(std::move(body_));
    body_ = std::string();
    expected_ = 0;
  }
  return n;
}

std::optional<std::string> FrameDecoder::next() {
  if (complete_.empty()) return std::nullopt;
  std::string frame = std::move(complete_.front());
  complete_.pop_front();
  complete_bytes_ -= frame.size();
  return frame;
}

size_t FrameDecoder::buffered_bytes() const {
  return header_filled_ + body_.size() + complete_bytes_;
}

// Called only between frames, when body_ holds nothing and has reserved nothing; it is left
// alone so that reserved_bytes() would show a reservation made before the check.
void FrameDecoder::fail(std::string reason) {
  error_ = std::move(reason);
  header_filled_ = 0;
  expected_ = 0;
}

}  // namespace tern::ipc

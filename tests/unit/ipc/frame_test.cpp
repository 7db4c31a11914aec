// ipc.framing: encode_frame and FrameDecoder, a pure state machine fed at every split point.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "common/ipc/frame.h"
#include "control.pb.h"
#include "qmgr.pb.h"

namespace tern::ipc {
namespace {

std::string header(uint32_t length) {
  auto h = frame_header(length);
  return std::string(h.begin(), h.end());
}

std::string frame_of(const std::string& body) {
  return header(static_cast<uint32_t>(body.size())) + body;
}

struct Decoded {
  std::vector<std::string> frames;
  bool failed = false;
};

// Feeds `chunks` in order and drains every complete frame after each feed.
Decoded decode(const std::vector<std::string_view>& chunks) {
  FrameDecoder decoder;
  Decoded out;
  for (std::string_view chunk : chunks) {
    decoder.feed(chunk);
    while (auto frame = decoder.next()) out.frames.push_back(*frame);
  }
  out.failed = decoder.failed();
  return out;
}

}  // namespace

TEST_SUITE("ipc.framing") {
  TEST_CASE("encode_frame writes a big-endian length then the message") {
    proto::ControlRequest request;
    request.set_id(1);
    auto frame = encode_frame(request);
    REQUIRE(frame.has_value());
    CHECK(*frame == std::string("\0\0\0\x02\x08\x01", 6));
    CHECK(header(0x01020304) == "\x01\x02\x03\x04");
  }

  TEST_CASE("encode_frame refuses empty and oversized messages") {
    proto::ControlRequest empty;
    auto e = encode_frame(empty);
    REQUIRE_FALSE(e.has_value());
    CHECK(e.error().message.find("empty") != std::string::npos);

    proto::QmgrReply big;
    big.set_id(7);
    big.set_text(std::string(kMaxFrameSize, 'x'));
    auto b = encode_frame(big);
    REQUIRE_FALSE(b.has_value());
    CHECK(b.error().message.find("exceeds") != std::string::npos);
  }

  TEST_CASE("decoder table") {
    const std::string one_mib(kMaxFrameSize, 'm');
    struct Row {
      const char* name;
      std::string input;
      std::vector<std::string> want_frames;
      bool want_failed;
    };
    const std::vector<Row> rows = {
        {"nothing", "", {}, false},
        {"one frame", frame_of("abc"), {"abc"}, false},
        {"several frames in one feed", frame_of("a") + frame_of("bc") + frame_of("def"),
         {"a", "bc", "def"}, false},
        {"partial header only", std::string("\0\0", 2), {}, false},
        {"partial body only", header(10) + "12345", {}, false},
        {"zero length", header(0), {}, true},
        {"zero length after a good frame", frame_of("ok") + header(0) + "zz", {"ok"}, true},
        {"exactly 1 MiB", frame_of(one_mib), {one_mib}, false},
        {"1 MiB + 1", header(kMaxFrameSize + 1) + "x", {}, true},
        {"all ones length", "\xff\xff\xff\xff", {}, true},
        {"HTTP request", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", {}, true},
        {"SMTP greeting", "220 mail.example ESMTP\r\n", {}, true},
    };
    for (const Row& row : rows) {
      INFO("row: ", row.name);
      Decoded got = decode({row.input});
      CHECK(got.frames == row.want_frames);
      CHECK(got.failed == row.want_failed);
    }
  }

  TEST_CASE("a stream split at every byte offset decodes the same") {
    proto::ControlRequest small;
    small.set_id(42);
    small.mutable_status();
    proto::QmgrReply larger;
    larger.set_id(99);
    larger.set_text(std::string(300, 't'));
    larger.add_entries()->set_queue_id("4Xk2pQ7zA");
    std::string stream = *encode_frame(small) + *encode_frame(larger) + *encode_frame(small);
    const std::vector<std::string> want = {small.SerializeAsString(),
                                           larger.SerializeAsString(),
                                           small.SerializeAsString()};

    for (size_t split = 0; split <= stream.size(); ++split) {
      INFO("split at byte ", split, " of ", stream.size());
      std::string_view s(stream);
      Decoded got = decode({s.substr(0, split), s.substr(split)});
      REQUIRE(got.frames == want);
      REQUIRE_FALSE(got.failed);
    }
    for (size_t a = 0; a <= stream.size(); a += 7) {
      for (size_t b = a; b <= stream.size(); b += 13) {
        INFO("split at bytes ", a, " and ", b);
        std::string_view s(stream);
        Decoded got = decode({s.substr(0, a), s.substr(a, b - a), s.substr(b)});
        REQUIRE(got.frames == want);
      }
    }
    std::vector<std::string_view> bytes;
    for (size_t i = 0; i < stream.size(); ++i) {
      bytes.push_back(std::string_view(stream).substr(i, 1));
    }
    CHECK(decode(bytes).frames == want);
  }

  TEST_CASE("a bad length is rejected before anything is allocated, and stays rejected") {
    const size_t fresh_reserve = FrameDecoder().reserved_bytes();
    for (uint32_t length : {uint32_t{0}, uint32_t{kMaxFrameSize + 1}, uint32_t{0xffffffff}}) {
      INFO("length ", length);
      FrameDecoder decoder;
      decoder.feed(header(length).substr(0, 3));
      CHECK_FALSE(decoder.failed());
      CHECK(decoder.mid_frame());
      decoder.feed(header(length).substr(3) + std::string(100000, 'x'));
      REQUIRE(decoder.failed());
      CHECK(!decoder.error().empty());
      CHECK(decoder.buffered_bytes() == 0);
      CHECK(decoder.reserved_bytes() == fresh_reserve);
      // A valid frame afterwards does not revive it, and nothing is buffered.
      decoder.feed(frame_of("late"));
      CHECK_FALSE(decoder.next().has_value());
      CHECK(decoder.buffered_bytes() == 0);
      CHECK(decoder.failed());
    }
  }

  TEST_CASE("the reason names the bad length") {
    FrameDecoder decoder;
    decoder.feed("GET / HTTP/1.1");
    REQUIRE(decoder.failed());
    // "GET " = 0x47455420 = 1195725856
    CHECK(decoder.error().find("1195725856") != std::string::npos);
    CHECK(decoder.error().find("0x47455420") != std::string::npos);
    FrameDecoder zero;
    zero.feed(header(0));
    CHECK(zero.error() == "zero-length frame");
  }

  TEST_CASE("a valid 1 MiB length reserves the body once and buffers what arrives") {
    FrameDecoder decoder;
    decoder.feed(header(kMaxFrameSize));
    CHECK(decoder.reserved_bytes() >= kMaxFrameSize);
    decoder.feed(std::string(1000, 'b'));
    CHECK(decoder.buffered_bytes() == 1000);
    CHECK(decoder.mid_frame());
    decoder.feed(std::string(kMaxFrameSize - 1000, 'b'));
    CHECK_FALSE(decoder.mid_frame());
    auto frame = decoder.next();
    REQUIRE(frame.has_value());
    CHECK(frame->size() == kMaxFrameSize);
    CHECK(decoder.buffered_bytes() == 0);
  }
}

}  // namespace tern::ipc

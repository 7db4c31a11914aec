// ipc.channel: Channel on a real libuv loop over a socketpair.
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "common/ipc/channel.h"
#include "control.pb.h"
#include "qmgr.pb.h"
#include "tests/unit/ipc/test_loop.h"

namespace tern::ipc {
namespace {

using testing::run_for;
using testing::run_until;
using testing::socket_pair;
using testing::write_raw;

std::string header(uint32_t length) {
  auto h = frame_header(length);
  return std::string(h.begin(), h.end());
}

// A frame of almost kMaxFrameSize: more than a socket buffer takes at once.
proto::QmgrReply frame_near_the_limit() {
  proto::QmgrReply big;
  big.set_id(1);
  big.set_text(std::string(kMaxFrameSize - 16, 'q'));
  return big;
}

// One Channel and what it has seen.
struct Recorder {
  std::unique_ptr<Channel> channel;
  std::vector<std::string> frames;
  bool closed = false;
  std::string reason;

  void watch(std::unique_ptr<Channel> c) {
    channel = std::move(c);
    channel->set_handlers([this](std::string_view p) { frames.emplace_back(p); },
                          [this](std::string_view r) {
                            closed = true;
                            reason = std::string(r);
                          });
  }
};

std::unique_ptr<Channel> adopt(uv::Loop& loop, int fd) {
  auto channel = Channel::adopt(loop.get(), fd);
  REQUIRE(channel.has_value());
  return std::move(*channel);
}

// A channel whose frames and close nobody looks at: for tests of what it writes.
std::unique_ptr<Channel> adopt_sender(uv::Loop& loop, int fd) {
  auto channel = adopt(loop, fd);
  channel->set_handlers([](std::string_view) {}, [](std::string_view) {});
  return channel;
}

}  // namespace

TEST_SUITE("ipc.channel") {
  TEST_CASE("messages round-trip in both directions, in order") {
    uv::Loop loop;
    auto [a_fd, b_fd] = socket_pair();
    Recorder a, b;
    a.watch(adopt(loop, a_fd));
    b.watch(adopt(loop, b_fd));
    CHECK(a.channel->peer_pid() == getpid());
    CHECK(a.channel->peer_uid() == geteuid());

    for (uint64_t id = 1; id <= 50; ++id) {
      proto::ControlRequest request;
      request.set_id(id);
      request.mutable_status();
      REQUIRE(a.channel->send(request));
    }
    proto::ControlReply reply;
    reply.set_id(7);
    reply.set_ok(true);
    reply.add_programs()->set_name("smtpd");
    REQUIRE(b.channel->send(reply));

    REQUIRE(run_until(loop, [&] { return b.frames.size() == 50 && a.frames.size() == 1; }));
    for (uint64_t id = 1; id <= 50; ++id) {
      proto::ControlRequest got;
      REQUIRE(got.ParseFromString(b.frames[id - 1]));
      CHECK(got.id() == id);
      CHECK(got.has_status());
    }
    proto::ControlReply got_reply;
    REQUIRE(got_reply.ParseFromString(a.frames[0]));
    CHECK(got_reply.programs(0).name() == "smtpd");
    CHECK_FALSE(a.closed);
    CHECK_FALSE(b.closed);
  }

  TEST_CASE("a 1 MiB frame is queued, reported by write_queue_size, and delivered whole") {
    uv::Loop loop;
    auto [a_fd, b_fd] = socket_pair();
    Recorder a, b;
    a.watch(adopt(loop, a_fd));
    b.watch(adopt(loop, b_fd));
    proto::QmgrReply big = frame_near_the_limit();
    REQUIRE(a.channel->send(big));
    CHECK(a.channel->write_queue_size() > 0);  // a socket buffer does not take 1 MiB at once
    REQUIRE(run_until(loop, [&] { return b.frames.size() == 1; }));
    CHECK(b.frames[0] == big.SerializeAsString());
    CHECK(a.channel->write_queue_size() == 0);
  }

  TEST_CASE("small frames sent behind a queued large one arrive after it, in order") {
    // A small frame goes straight to the socket only while nothing is queued before it.
    uv::Loop loop;
    auto [a_fd, b_fd] = socket_pair();
    Recorder a, b;
    a.watch(adopt(loop, a_fd));
    b.watch(adopt(loop, b_fd));
    proto::QmgrReply big = frame_near_the_limit();
    REQUIRE(a.channel->send(big));
    REQUIRE(a.channel->write_queue_size() > 0);
    for (uint64_t id = 2; id <= 11; ++id) {
      proto::QmgrReply small;
      small.set_id(id);
      REQUIRE(a.channel->send(small));
    }
    REQUIRE(run_until(loop, [&] { return b.frames.size() == 11; }));
    CHECK(b.frames[0] == big.SerializeAsString());
    for (uint64_t id = 2; id <= 11; ++id) {
      proto::QmgrReply got;
      REQUIRE(got.ParseFromString(b.frames[id - 1]));
      CHECK(got.id() == id);
    }
  }

  TEST_CASE("peer death mid-frame is seen as on_close") {
    uv::Loop loop;
    auto [a_fd, raw] = socket_pair();
    Recorder a;
    a.watch(adopt(loop, a_fd));
    write_raw(raw, header(100) + "only part of the body");
    ::close(raw);
    REQUIRE(run_until(loop, [&] { return a.closed; }));
    CHECK(a.frames.empty());
    CHECK(a.reason.find("middle of a frame") != std::string::npos);
    CHECK_FALSE(a.channel->is_open());
    proto::ControlRequest request;
    request.set_id(1);
    CHECK_FALSE(a.channel->send(request));
  }

  TEST_CASE("a clean EOF between frames closes with the frames delivered") {
    uv::Loop loop;
    auto [a_fd, raw] = socket_pair();
    Recorder a;
    a.watch(adopt(loop, a_fd));
    write_raw(raw, header(2) + "hi" + header(3) + "you");
    ::close(raw);
    REQUIRE(run_until(loop, [&] { return a.closed; }));
    CHECK(a.frames == std::vector<std::string>{"hi", "you"});
    CHECK(a.reason == "peer closed the connection");
  }

  TEST_CASE("malformed headers close the channel") {
    struct Row {
      const char* name;
      std::string bytes;
    };
    const std::vector<Row> rows = {
        {"oversized", header(kMaxFrameSize + 1)},
        {"huge", "\x7f\xff\xff\xff"},
        {"zero", header(0)},
        {"HTTP", "GET / HTTP/1.1\r\n\r\n"},
    };
    for (const Row& row : rows) {
      INFO("row: ", row.name);
      uv::Loop loop;
      auto [a_fd, raw] = socket_pair();
      Recorder a;
      a.watch(adopt(loop, a_fd));
      write_raw(raw, row.bytes);
      REQUIRE(run_until(loop, [&] { return a.closed; }));
      CHECK(a.reason.find("malformed frame") != std::string::npos);
      // The peer sees our side go away.
      char c;
      CHECK(::read(raw, &c, 1) == 0);
      ::close(raw);
    }
  }

  TEST_CASE("close() delivers on_close later, never from inside close()") {
    uv::Loop loop;
    auto [a_fd, b_fd] = socket_pair();
    Recorder a, b;
    a.watch(adopt(loop, a_fd));
    b.watch(adopt(loop, b_fd));
    a.channel->close("shutting down");
    CHECK_FALSE(a.closed);
    CHECK_FALSE(a.channel->is_open());
    a.channel->close("again");  // no-op
    REQUIRE(run_until(loop, [&] { return a.closed && b.closed; }));
    CHECK(a.reason == "shutting down");
    CHECK(b.reason == "peer closed the connection");
  }

  TEST_CASE("the owner may destroy the channel from inside on_frame") {
    uv::Loop loop;
    auto [a_fd, raw] = socket_pair();
    std::unique_ptr<Channel> channel = adopt(loop, a_fd);
    int frames = 0;
    bool closed = false;
    channel->set_handlers(
        [&](std::string_view) {
          ++frames;
          channel.reset();  // while two more frames wait in the same read
        },
        [&](std::string_view) { closed = true; });
    write_raw(raw, header(1) + "a" + header(1) + "b" + header(1) + "c");
    REQUIRE(run_until(loop, [&] { return channel == nullptr; }));
    run_for(loop, 20);
    CHECK(frames == 1);
    CHECK_FALSE(closed);  // destroying = unsubscribing
    char c;
    CHECK(::read(raw, &c, 1) == 0);
    ::close(raw);
  }

  TEST_CASE("the owner may destroy the channel from inside on_close") {
    uv::Loop loop;
    auto [a_fd, raw] = socket_pair();
    std::unique_ptr<Channel> channel = adopt(loop, a_fd);
    std::string reason;
    channel->set_handlers([](std::string_view) {},
                          [&](std::string_view r) {
                            channel.reset();
                            reason = std::string(r);  // still valid after the reset
                          });
    ::close(raw);
    REQUIRE(run_until(loop, [&] { return channel == nullptr; }));
    CHECK(reason == "peer closed the connection");
  }

  TEST_CASE("close() from inside on_frame stops delivery of the rest of the read") {
    uv::Loop loop;
    auto [a_fd, raw] = socket_pair();
    Recorder a;
    a.watch(adopt(loop, a_fd));
    a.channel->set_handlers(
        [&](std::string_view p) {
          a.frames.emplace_back(p);
          a.channel->close("enough");
        },
        [&](std::string_view r) {
          a.closed = true;
          a.reason = std::string(r);
        });
    write_raw(raw, header(1) + "a" + header(1) + "b");
    REQUIRE(run_until(loop, [&] { return a.closed; }));
    CHECK(a.frames == std::vector<std::string>{"a"});
    CHECK(a.reason == "enough");
    ::close(raw);
  }

  TEST_CASE("the frames of one loop turn leave together at its end, in order") {
    uv::Loop loop;
    auto [a_fd, b_fd] = socket_pair();
    auto a = adopt_sender(loop, a_fd);
    std::string expected;
    for (uint64_t id = 1; id <= 3; ++id) {
      proto::ControlRequest request;
      request.set_id(id);
      REQUIRE(a->send(request));
      std::string body = request.SerializeAsString();
      expected += header(static_cast<uint32_t>(body.size())) + body;
    }
    CHECK(a->write_queue_size() == expected.size());  // nothing written before the turn ends
    char buf[256];
    CHECK(::recv(b_fd, buf, sizeof buf, MSG_DONTWAIT) < 0);
    uv_run(loop.get(), UV_RUN_NOWAIT);  // one turn
    CHECK(a->write_queue_size() == 0);
    ssize_t n = ::recv(b_fd, buf, sizeof buf, MSG_DONTWAIT);  // all three, from one write
    REQUIRE(n == static_cast<ssize_t>(expected.size()));
    CHECK(std::string(buf, static_cast<size_t>(n)) == expected);
    ::close(b_fd);
  }

  TEST_CASE("a frame sent right before close() or destruction still goes out") {
    for (bool destroy : {false, true}) {
      INFO("destroy: ", destroy);
      uv::Loop loop;
      auto [a_fd, b_fd] = socket_pair();
      auto a = adopt_sender(loop, a_fd);
      proto::ControlRequest request;
      request.set_id(9);
      REQUIRE(a->send(request));
      if (destroy) a.reset();
      else a->close("done");
      Recorder b;
      b.watch(adopt(loop, b_fd));
      REQUIRE(run_until(loop, [&] { return b.closed; }));
      REQUIRE(b.frames.size() == 1);
      proto::ControlRequest got;
      REQUIRE(got.ParseFromString(b.frames[0]));
      CHECK(got.id() == 9);
    }
  }

  TEST_CASE("pending writes are discarded safely when the channel is destroyed") {
    uv::Loop loop;
    auto [a_fd, b_fd] = socket_pair();
    auto a = adopt_sender(loop, a_fd);
    proto::QmgrReply big;
    big.set_id(1);
    big.set_text(std::string(kMaxFrameSize / 2, 'q'));
    for (int i = 0; i < 4; ++i) REQUIRE(a->send(big));
    CHECK(a->write_queue_size() > 0);
    a.reset();  // cancelled write callbacks run during the close and must not touch it
    run_for(loop, 10);
    ::close(b_fd);
  }

  TEST_CASE("adopt fails cleanly on something that is not a socket") {
    uv::Loop loop;
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    auto channel = Channel::adopt(loop.get(), fds[0]);
    CHECK_FALSE(channel.has_value());
    ::close(fds[1]);
  }
}

}  // namespace tern::ipc

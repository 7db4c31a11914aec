// blocking_call(): connect, write a frame, read a frame, all under one poll() deadline.
#include "common/ipc/blocking_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "common/ipc/connect.h"
#include "common/ipc/frame.h"

namespace tern::ipc {
namespace {

using Clock = std::chrono::steady_clock;

// Owns the socket for the length of one call.
class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() { ::close(fd_); }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Waits until `fd` is ready for `events`; ETIMEDOUT once the deadline has passed.
Result<void> wait_for(int fd, short events, Clock::time_point deadline, const std::string& what) {
  for (;;) {
    int left = remaining_ms(deadline);
    if (left == 0) return fail(what + ": timed out", ETIMEDOUT);
    pollfd p{.fd = fd, .events = events, .revents = 0};
    int rc = ::poll(&p, 1, left);
    if (rc > 0) return {};
    if (rc < 0 && errno != EINTR) return fail_errno(what + ": poll", errno);
  }
}

// connect_unix() reports a full backlog as EAGAIN instead of waiting; here waiting is fine.
Result<int> connect_until(const std::string& path, Clock::time_point deadline) {
  for (;;) {
    auto fd = connect_unix(path);
    if (fd || fd.error().code != EAGAIN) return fd;
    if (remaining_ms(deadline) == 0) return fail(path + ": connect timed out", ETIMEDOUT);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Result<void> write_all(int fd, std::string_view bytes, Clock::time_point deadline,
                       const std::string& path) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (auto ready = wait_for(fd, POLLOUT, deadline, path + ": write"); !ready) return ready;
    } else if (n < 0 && errno != EINTR) {
      return fail_errno(path + ": write", errno);
    }
  }
  return {};
}

Result<std::string> read_frame(int fd, Clock::time_point deadline, const std::string& path) {
  FrameDecoder decoder;
  char buffer[16 * 1024];
  for (;;) {
    if (auto frame = decoder.next()) return std::move(*frame);
    if (decoder.failed()) return fail(path + ": malformed reply: " + decoder.error(), EPROTO);
    ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n > 0) {
      decoder.feed(std::string_view(buffer, static_cast<size_t>(n)));
    } else if (n == 0) {
      return fail(path + ": server closed the connection before replying", ECONNRESET);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (auto ready = wait_for(fd, POLLIN, deadline, path + ": read"); !ready) {
        return std::unexpected(ready.error());
      }
    } else if (errno != EINTR) {
      return fail_errno(path + ": read", errno);
    }
  }
}

}  // namespace

Result<std::string> blocking_call(const std::string& socket_path,
                                  const google::protobuf::MessageLite& request, int timeout_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  auto frame = encode_frame(request);
  if (!frame) return fail(frame.error().message, EMSGSIZE);
  auto fd = connect_until(socket_path, deadline);
  if (!fd) return std::unexpected(fd.error());
  Socket socket(*fd);
  if (auto written = write_all(socket.fd(), *frame, deadline, socket_path); !written) {
    return std::unexpected(written.error());
  }
  return read_frame(socket.fd(), deadline, socket_path);
}

}  // namespace tern::ipc

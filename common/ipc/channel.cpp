// Channel over uv_pipe_t: reading into the frame decoder, frames written together at the end
// of each loop turn, deferred on_close.
#include "common/ipc/channel.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "common/check.h"
#include "common/log/log.h"
#include "common/uv/write_now.h"

namespace tern::ipc {
namespace {

// Output the socket did not take at once: the uv_write_t and the bytes it points at, freed
// together in the write callback.
struct WriteRequest {
  uv_write_t req;
  std::string bytes;
};

// Every read lands here and is copied into a decoder before on_read returns, so one buffer
// per thread serves all channels (libuv calls on_alloc right before each read).
constexpr size_t kReadBufferSize = 64 * 1024;
char* read_buffer() {
  thread_local std::unique_ptr<char[]> buffer(new char[kReadBufferSize]);
  return buffer.get();
}

std::string uv_error_text(const char* what, int err) {
  return std::string(what) + ": " + uv_strerror(err);
}

}  // namespace

Result<std::unique_ptr<Channel>> Channel::adopt(uv_loop_t* loop, int fd) {
  auto* raw = new uv_pipe_t;
  TERN_CHECK(uv_pipe_init(loop, raw, 0) == 0);
  uv::UvHandle<uv_pipe_t> pipe(raw);
  if (int rc = uv_pipe_open(raw, fd); rc < 0) {
    ::close(fd);  // the pipe did not take it
    return fail(uv_error_text("ipc: uv_pipe_open", rc), -rc);
  }
  return adopt(std::move(pipe));
}

Result<std::unique_ptr<Channel>> Channel::adopt(uv::UvHandle<uv_pipe_t> pipe) {
  TERN_CHECK(pipe);
  uv_loop_t* loop = pipe.get()->loop;
  uv_os_fd_t fd = -1;
  if (int rc = uv_fileno(pipe.handle(), &fd); rc < 0) {
    return fail(uv_error_text("ipc: uv_fileno", rc), -rc);
  }
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    return fail_errno("ipc: getsockopt(SO_PEERCRED)", errno);
  }
  std::unique_ptr<Channel> channel(new Channel(loop, std::move(pipe)));
  channel->peer_uid_ = cred.uid;
  channel->peer_gid_ = cred.gid;
  channel->peer_pid_ = cred.pid;
  channel->name_ = "pid " + std::to_string(cred.pid);
  return channel;
}

Channel::Channel(uv_loop_t* loop, uv::UvHandle<uv_pipe_t> pipe)
    : pipe_(std::move(pipe)), close_timer_(loop), flush_at_turn_end_(loop, [this] { flush_output(); }) {
  pipe_.get()->data = this;
}

Channel::~Channel() {
  if (destroyed_flag_ != nullptr) *destroyed_flag_ = true;
  flush_output();
  // pipe_ and close_timer_ clear their handles' data and close them: no callback reaches us.
}

void Channel::set_handlers(FrameHandler on_frame, CloseHandler on_close) {
  on_frame_ = std::move(on_frame);
  on_close_ = std::move(on_close);
  if (!is_open() || reading_) return;
  if (int rc = uv_read_start(pipe_.stream(), &Channel::on_alloc, &Channel::on_read); rc < 0) {
    close_with_warning(uv_error_text("read start failed", rc));
    return;
  }
  reading_ = true;
}

bool Channel::send(const google::protobuf::MessageLite& message) {
  if (!is_open()) return false;
  auto size = frame_body_size(message);
  if (!size) {
    TERN_LOG_WARNING("ipc: %s: not sent: %s", name_.c_str(), size.error().message.c_str());
    return false;
  }
  auto header = frame_header(static_cast<uint32_t>(*size));
  size_t at = output_.size();
  output_.resize(at + kFrameHeaderSize + *size);
  std::copy(header.begin(), header.end(), output_.begin() + static_cast<std::ptrdiff_t>(at));
  message.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(output_.data() + at + kFrameHeaderSize));
  flush_at_turn_end_.arm();
  return true;
}

void Channel::flush_output() {
  if (output_.empty() || !is_open()) return;
  uv_buf_t buf = uv_buf_init(output_.data(), static_cast<unsigned>(output_.size()));
  size_t done = uv::write_now(pipe_.stream(), &buf, 1);
  if (done == output_.size()) {
    output_.clear();
    return;
  }
  auto request = std::make_unique<WriteRequest>();
  request->bytes = std::move(output_);
  request->bytes.erase(0, done);
  output_.clear();
  buf = uv_buf_init(request->bytes.data(), static_cast<unsigned>(request->bytes.size()));
  request->req.data = request.get();
  if (int rc = uv_write(&request->req, pipe_.stream(), &buf, 1, &Channel::on_write); rc < 0) {
    close_with_warning(uv_error_text("write failed", rc));
    return;
  }
  request.release();  // owned by libuv until on_write
}

void Channel::close(std::string_view reason) {
  if (!is_open()) return;
  flush_output();  // leaves output_ empty
  flush_at_turn_end_.disarm();
  close_reason_ = std::string(reason);
  pipe_.reset();  // closes the socket; cancelled writes find data == nullptr
  close_timer_.start(0, [this] { deliver_close(); });
}

size_t Channel::write_queue_size() const {
  return is_open() ? output_.size() + uv_stream_get_write_queue_size(pipe_.stream()) : 0;
}

void Channel::on_alloc(uv_handle_t*, size_t, uv_buf_t* buf) {
  *buf = uv_buf_init(read_buffer(), kReadBufferSize);
}

void Channel::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<Channel*>(stream->data);
  if (self == nullptr) return;
  if (nread > 0) {
    self->consume(std::string_view(buf->base, static_cast<size_t>(nread)));
  } else if (nread == UV_EOF) {
    if (self->decoder_.mid_frame()) {
      self->close_with_warning("peer closed the connection in the middle of a frame");
    } else {
      self->close("peer closed the connection");
    }
  } else if (nread < 0) {
    self->close_with_warning(uv_error_text("read failed", static_cast<int>(nread)));
  }
}

// Hands every complete frame to on_frame, stopping as soon as a callback closes or destroys
// the channel; then a decoder failure closes it.
void Channel::consume(std::string_view bytes) {
  decoder_.feed(bytes);
  bool destroyed = false;
  destroyed_flag_ = &destroyed;
  while (is_open()) {
    std::optional<std::string> frame = decoder_.next();
    if (!frame) break;
    if (!on_frame_) continue;
    FrameHandler handler = on_frame_;  // a copy: the callback may replace the handlers
    handler(*frame);
    if (destroyed) return;
  }
  destroyed_flag_ = nullptr;
  if (is_open() && decoder_.failed()) close_with_warning("malformed frame: " + decoder_.error());
}

void Channel::on_write(uv_write_t* req, int status) {
  std::unique_ptr<WriteRequest> request(static_cast<WriteRequest*>(req->data));
  auto* self = static_cast<Channel*>(req->handle->data);
  if (self == nullptr || status == 0) return;
  self->close_with_warning(uv_error_text("write failed", status));
}

void Channel::close_with_warning(std::string reason) {
  if (!is_open()) return;
  TERN_LOG_WARNING("ipc: closing channel to %s (uid %u): %s", name_.c_str(),
                   static_cast<unsigned>(peer_uid_), reason.c_str());
  close(reason);
}

void Channel::deliver_close() {
  on_frame_ = nullptr;
  CloseHandler handler = std::move(on_close_);
  on_close_ = nullptr;
  std::string reason = std::move(close_reason_);  // local: the handler may destroy us
  if (handler) handler(reason);
}

}  // namespace tern::ipc

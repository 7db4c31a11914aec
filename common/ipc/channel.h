// Channel: one connected unix stream socket carrying IPC frames (DESIGN.md §3), over a libuv
// pipe owned through UvHandle. Runs on the loop thread that adopted it.
//
// Reading starts at set_handlers(). Each complete frame is handed to on_frame; a zero or
// oversized length, EOF, or a read or write error closes the channel (malformed input with a
// warning in the log), after which send() returns false. Nothing a peer sends can crash us.
// send() adds the frame to the channel's output and returns at once; at the end of the loop
// turn (uv::TurnEnd) all frames of the turn go out in one write, and whatever the socket does
// not take then is queued with uv_write. close() and destruction write what is pending first,
// as far as the socket takes it at once. write_queue_size() says how many bytes are still
// waiting, for back-pressure.
//
// Lifetime: on_close is delivered exactly once per channel, for every cause including a local
// close(), always from the loop on a later turn -- never from inside close() or send(). The
// owner may destroy the Channel at any time, including from inside its own on_frame or
// on_close callback; no callback runs after destruction (destroying = unsubscribing, so
// on_close is not delivered if the owner destroys the channel first). Frames queued for
// writing when the channel closes are discarded.
//
// The process must ignore SIGPIPE (libuv writes with writev); program start-up does that.
#pragma once

#include <sys/types.h>
#include <uv.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/ipc/frame.h"
#include "common/result.h"
#include "common/uv/handle.h"
#include "common/uv/timer.h"
#include "common/uv/turn_end.h"

namespace tern::ipc {

class Channel {
 public:
  using FrameHandler = std::function<void(std::string_view payload)>;
  using CloseHandler = std::function<void(std::string_view reason)>;

  // Takes ownership of a connected unix stream socket (closing it on failure too) and reads
  // the peer's credentials with SO_PEERCRED.
  static Result<std::unique_ptr<Channel>> adopt(uv_loop_t* loop, int fd);
  // Takes an initialised, connected libuv pipe (the Listener's accepted connections).
  static Result<std::unique_ptr<Channel>> adopt(uv::UvHandle<uv_pipe_t> pipe);

  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // Installs the callbacks and starts reading. May be called again to replace them.
  void set_handlers(FrameHandler on_frame, CloseHandler on_close);
  // A name for log lines ("lookup", "smtpd"); the default names the peer's pid.
  void set_name(std::string name) { name_ = std::move(name); }
  const std::string& name() const { return name_; }

  // Queues one frame. False (nothing queued) when the channel is closed, when the message is
  // empty or over kMaxFrameSize (logged; the channel stays open), or when libuv refuses the
  // write (the channel closes).
  bool send(const google::protobuf::MessageLite& message);
  // Closes the socket now; on_close(reason) follows on a later loop turn. No-op when closed.
  void close(std::string_view reason);

  bool is_open() const { return static_cast<bool>(pipe_); }
  uid_t peer_uid() const { return peer_uid_; }
  gid_t peer_gid() const { return peer_gid_; }
  pid_t peer_pid() const { return peer_pid_; }
  // Bytes accepted by send() and not yet written to the socket.
  size_t write_queue_size() const;

 private:
  Channel(uv_loop_t* loop, uv::UvHandle<uv_pipe_t> pipe);

  static void on_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void on_write(uv_write_t* req, int status);
  void consume(std::string_view bytes);
  // Writes the pending output: what the socket takes at once, the rest queued with uv_write.
  void flush_output();
  void close_with_warning(std::string reason);
  void deliver_close();

  uv::UvHandle<uv_pipe_t> pipe_;
  uv::Timer close_timer_;  // delivers on_close on a later loop turn
  std::string output_;     // frames sent this turn, not yet written
  uv::TurnEnd flush_at_turn_end_;
  FrameDecoder decoder_;
  FrameHandler on_frame_;
  CloseHandler on_close_;
  std::string close_reason_;
  std::string name_;
  uid_t peer_uid_ = static_cast<uid_t>(-1);
  gid_t peer_gid_ = static_cast<gid_t>(-1);
  pid_t peer_pid_ = 0;
  bool reading_ = false;
  // Points at a flag on the stack of consume() while it runs on_frame, so that consume()
  // notices when a callback destroyed this channel.
  bool* destroyed_flag_ = nullptr;
};

}  // namespace tern::ipc

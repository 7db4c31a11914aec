// RpcClient<Request, Reply>: request/reply calls to one peer over a unix socket path
// (DESIGN.md §3), e.g. smtpd -> lookup. Owns at most one Channel, connected lazily on the
// first call and again on the first call after the peer went away; a failed connect holds off
// further attempts for a short, growing back-off (100 ms doubling to 5 s), and calls in that
// window fail at once.
//
// Each call gets a fresh `id` (Request and Reply must have `uint64 id = 1`; replies echo it).
// Its callback runs exactly once, on the loop thread and never from inside call():
//   - with the Reply whose id matches;
//   - with an Error when the call times out (code ETIMEDOUT), when the peer dies or sends a
//     malformed frame or reply while the call is pending (ECONNRESET), when connecting fails
//     (the connect errno), or when the request cannot be sent (EMSGSIZE: empty or over 1 MiB).
// Every such Error is a temporary failure: the request may or may not have been acted on and
// may be retried. A reply with an unknown id (late after a timeout, or bogus) is logged and
// dropped. Destroying the client drops pending calls WITHOUT running their callbacks (the
// owner is going away); callbacks may destroy the client.
#pragma once

#include <google/protobuf/message_lite.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <unordered_map>

#include "common/ipc/channel.h"
#include "common/ipc/listener.h"
#include "common/result.h"
#include "common/uv/timer.h"

namespace tern::ipc {

// The message-type-independent part of RpcClient; use RpcClient<Request, Reply>.
class RpcClientCore {
 public:
  using Message = google::protobuf::MessageLite;
  using Done = std::function<void(Result<std::unique_ptr<Message>>)>;
  using IdOf = uint64_t (*)(const Message&);

  static constexpr uint64_t kMinBackoffMs = 100;
  static constexpr uint64_t kMaxBackoffMs = 5000;

  RpcClientCore(uv_loop_t* loop, std::string socket_path, std::string peer_name,
                const Message& reply_prototype, IdOf reply_id);
  ~RpcClientCore();
  RpcClientCore(const RpcClientCore&) = delete;
  RpcClientCore& operator=(const RpcClientCore&) = delete;

  uint64_t next_id() { return ++last_id_; }
  // `request` already carries `id`.
  void call(uint64_t id, const Message& request, uint64_t timeout_ms, Done done);

  // Checked on every new connection; the default allows any server uid.
  void set_peer_policy(PeerPolicy policy) { policy_ = policy; }
  size_t pending() const { return pending_.size(); }
  bool connected() const { return channel_ != nullptr && channel_->is_open(); }
  // The connection, for write_queue_size(); null when not connected.
  const Channel* channel() const { return channel_.get(); }

 private:
  struct Pending {
    Done done;
    std::unique_ptr<uv::Timer> timer;  // the timeout, or the zero delay of an early failure
  };

  Result<void> ensure_connected();
  Result<void> connect_now();
  void on_frame(std::string_view payload);
  void on_close(std::string_view reason);
  void fail_soon(uint64_t id, Error error);
  void complete(uint64_t id, Result<std::unique_ptr<Message>> result);

  uv_loop_t* loop_;
  std::string path_;
  std::string peer_name_;
  const Message* reply_prototype_;
  IdOf reply_id_;
  PeerPolicy policy_ = PeerPolicy::any();
  std::unique_ptr<Channel> channel_;
  std::unordered_map<uint64_t, Pending> pending_;
  uint64_t last_id_ = 0;
  uint64_t backoff_ms_ = 0;
  uint64_t retry_at_ms_ = 0;  // loop time before which no connect is attempted
  Error last_connect_error_;
};

template <class Request, class Reply>
class RpcClient {
  static_assert(std::is_base_of_v<google::protobuf::MessageLite, Request>);
  static_assert(std::is_base_of_v<google::protobuf::MessageLite, Reply>);

 public:
  using Callback = std::function<void(Result<Reply>)>;

  // `peer_name` labels log lines and errors ("lookup").
  RpcClient(uv_loop_t* loop, std::string socket_path, std::string peer_name)
      : core_(loop, std::move(socket_path), std::move(peer_name), Reply::default_instance(),
              [](const google::protobuf::MessageLite& m) -> uint64_t {
                return static_cast<const Reply&>(m).id();
              }) {}

  // Sets request.id and sends it; `done` runs once, later, on the loop thread.
  void call(Request request, uint64_t timeout_ms, Callback done) {
    uint64_t id = core_.next_id();
    request.set_id(id);
    core_.call(id, request, timeout_ms,
               [done = std::move(done)](Result<std::unique_ptr<RpcClientCore::Message>> r) {
                 if (!r) {
                   done(std::unexpected(std::move(r.error())));
                   return;
                 }
                 done(Result<Reply>(std::move(static_cast<Reply&>(**r))));
               });
  }

  void set_peer_policy(PeerPolicy policy) { core_.set_peer_policy(policy); }
  size_t pending() const { return core_.pending(); }
  bool connected() const { return core_.connected(); }
  size_t write_queue_size() const {
    return core_.channel() != nullptr ? core_.channel()->write_queue_size() : 0;
  }

 private:
  RpcClientCore core_;
};

}  // namespace tern::ipc

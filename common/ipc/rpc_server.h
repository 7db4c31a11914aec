// RpcServer<Request>: the serving side of a request/reply IPC socket (DESIGN.md §3), e.g.
// lookup serving smtpd, qmgr and smtp. Owns a Listener (optional) and every connected
// Channel, each under a connection id that is never reused.
//
// Every frame is parsed as Request; a frame that does not parse closes that peer with a
// warning in the log (other peers are unaffected). The handler gets the request with the
// peer's connection id and credentials and answers with reply(conn_id, message), at once or
// later from any other callback: reply() to a peer that has gone away returns false and sends
// nothing, so a late answer is always safe. Runs on the loop thread; the handler may call
// reply(), close() or destroy the server.
#pragma once

#include <google/protobuf/message_lite.h>
#include <sys/types.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include "common/ipc/channel.h"
#include "common/ipc/listener.h"
#include "common/result.h"

namespace tern::ipc {

// Who sent a request.
struct Peer {
  uint64_t conn_id = 0;
  uid_t uid = kNoUid;
  pid_t pid = 0;
};

// The message-type-independent part of RpcServer; use RpcServer<Request>.
class RpcServerCore {
 public:
  using Message = google::protobuf::MessageLite;
  using RawHandler = std::function<void(const Peer&, std::unique_ptr<Message>)>;

  RpcServerCore(uv_loop_t* loop, std::string name, const Message& request_prototype,
                RawHandler handler);
  RpcServerCore(const RpcServerCore&) = delete;
  RpcServerCore& operator=(const RpcServerCore&) = delete;

  // Accepts on `listening_fd` (owned from now on) for peers that `policy` allows.
  Result<void> listen(int listening_fd, PeerPolicy policy);
  // Serves a channel made elsewhere (an inherited socketpair). Returns its connection id.
  uint64_t add(std::unique_ptr<Channel> channel);

  bool reply(uint64_t conn_id, const Message& message);
  void close(uint64_t conn_id, std::string_view reason);
  // The live channel for `conn_id` (write_queue_size, peer_uid), or null.
  Channel* channel(uint64_t conn_id);
  size_t connection_count() const { return connections_.size(); }

 private:
  void on_frame(uint64_t conn_id, std::string_view payload);

  uv_loop_t* loop_;
  std::string name_;
  const Message* prototype_;
  RawHandler handler_;
  std::unique_ptr<Listener> listener_;
  std::map<uint64_t, std::unique_ptr<Channel>> connections_;
  uint64_t last_conn_id_ = 0;
};

template <class Request>
class RpcServer {
  static_assert(std::is_base_of_v<google::protobuf::MessageLite, Request>);

 public:
  using Handler = std::function<void(const Peer&, Request)>;

  // `name` labels log lines ("lookup").
  RpcServer(uv_loop_t* loop, std::string name, Handler handler)
      : core_(loop, std::move(name), Request::default_instance(),
              [handler = std::move(handler)](const Peer& peer,
                                             std::unique_ptr<RpcServerCore::Message> m) {
                handler(peer, std::move(static_cast<Request&>(*m)));
              }) {}

  Result<void> listen(int listening_fd, PeerPolicy policy) {
    return core_.listen(listening_fd, policy);
  }
  uint64_t add(std::unique_ptr<Channel> channel) { return core_.add(std::move(channel)); }
  bool reply(uint64_t conn_id, const google::protobuf::MessageLite& message) {
    return core_.reply(conn_id, message);
  }
  void close(uint64_t conn_id, std::string_view reason) { core_.close(conn_id, reason); }
  Channel* channel(uint64_t conn_id) { return core_.channel(conn_id); }
  size_t connection_count() const { return core_.connection_count(); }

 private:
  RpcServerCore core_;
};

}  // namespace tern::ipc

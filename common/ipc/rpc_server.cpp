// RpcServerCore: connections by id, parsing requests, replies that tolerate departed peers.
#include "common/ipc/rpc_server.h"

#include "common/log/log.h"

namespace tern::ipc {

RpcServerCore::RpcServerCore(uv_loop_t* loop, std::string name, const Message& request_prototype,
                             RawHandler handler)
    : loop_(loop), name_(std::move(name)), prototype_(&request_prototype),
      handler_(std::move(handler)) {}

Result<void> RpcServerCore::listen(int listening_fd, PeerPolicy policy) {
  auto listener = Listener::adopt(loop_, listening_fd, policy, name_,
                                  [this](std::unique_ptr<Channel> channel) {
                                    add(std::move(channel));
                                  });
  if (!listener) return std::unexpected(listener.error());
  listener_ = std::move(*listener);
  return {};
}

uint64_t RpcServerCore::add(std::unique_ptr<Channel> channel) {
  uint64_t conn_id = ++last_conn_id_;
  Channel& ch = *channel;
  connections_.emplace(conn_id, std::move(channel));
  ch.set_handlers([this, conn_id](std::string_view payload) { on_frame(conn_id, payload); },
                  // Destroys the channel from inside its own on_close: allowed (channel.h).
                  [this, conn_id](std::string_view) { connections_.erase(conn_id); });
  return conn_id;
}

bool RpcServerCore::reply(uint64_t conn_id, const Message& message) {
  Channel* ch = channel(conn_id);
  return ch != nullptr && ch->send(message);
}

void RpcServerCore::close(uint64_t conn_id, std::string_view reason) {
  if (Channel* ch = channel(conn_id)) ch->close(reason);  // on_close then forgets it
}

Channel* RpcServerCore::channel(uint64_t conn_id) {
  auto it = connections_.find(conn_id);
  return it == connections_.end() ? nullptr : it->second.get();
}

void RpcServerCore::on_frame(uint64_t conn_id, std::string_view payload) {
  Channel* ch = channel(conn_id);
  if (ch == nullptr || !ch->is_open()) return;
  std::unique_ptr<Message> request(prototype_->New());
  if (!request->ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    TERN_LOG_WARNING("ipc: %s: closing connection from %s (uid %u): request does not parse as %s",
                     name_.c_str(), ch->name().c_str(), static_cast<unsigned>(ch->peer_uid()),
                     prototype_->GetTypeName().c_str());
    ch->close("malformed request");
    return;
  }
  Peer peer{.conn_id = conn_id, .uid = ch->peer_uid(), .pid = ch->peer_pid()};
  RawHandler handler = handler_;  // a copy: the handler may destroy this server
  handler(peer, std::move(request));
}

}  // namespace tern::ipc

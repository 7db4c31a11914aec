// The control socket's request dispatch.
#include "master/control_server.h"

#include <unistd.h>

#include "common/log/log.h"
#include "common/spool/queue_id.h"
#include "common/process/privileges.h"
#include "control.pb.h"

namespace tern::master {
namespace {

ipc::PeerPolicy control_policy() {
  // Root always; the tern user must not steer master, so only our own uid besides root.
  return ipc::PeerPolicy::trusted(ipc::kNoUid);
}

}  // namespace

ControlServer::ControlServer(uv_loop_t* loop, int listening_fd, ControlHandlers handlers)
    : handlers_(std::move(handlers)), started_us_(spool::SystemClock().now_us()) {
  auto listener = ipc::Listener::adopt(loop, listening_fd, control_policy(), "control",
                                       [this](std::unique_ptr<ipc::Channel> c) { on_accept(std::move(c)); });
  if (!listener) {
    TERN_LOG_ERROR("control socket: %s; ternctl cannot reach master", listener.error().message.c_str());
    return;
  }
  listener_ = std::move(*listener);
}

void ControlServer::on_accept(std::unique_ptr<ipc::Channel> channel) {
  uint64_t id = next_connection_++;
  channel->set_name("ternctl");
  channel->set_handlers([this, id](std::string_view payload) { on_frame(id, payload); },
                        [this, id](std::string_view) { connections_.erase(id); });
  connections_[id] = std::move(channel);
}

void ControlServer::on_frame(uint64_t connection, std::string_view payload) {
  auto it = connections_.find(connection);
  if (it == connections_.end()) return;
  ipc::Channel& channel = *it->second;
  proto::ControlRequest request;
  if (!request.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    channel.close("malformed control request");
    return;
  }
  proto::ControlReply reply;
  reply.set_id(request.id());
  reply.set_ok(true);
  reply.set_master_pid(::getpid());
  reply.set_master_started_us(started_us_);
  switch (request.body_case()) {
    case proto::ControlRequest::kStatus:
      for (const auto& child : handlers_.status()) {
        auto* p = reply.add_programs();
        p->set_name(child.name);
        p->set_pid(child.pid);
        p->set_started_us(child.started_us);
        p->set_restarts(child.restarts);
        p->set_state(child.state);
      }
      break;
    case proto::ControlRequest::kReload: handlers_.reload(); break;
    case proto::ControlRequest::kStop: handlers_.stop(); break;
    case proto::ControlRequest::BODY_NOT_SET:
      reply.set_ok(false);
      reply.set_error("empty request");
      break;
  }
  channel.send(reply);
}

}  // namespace tern::master

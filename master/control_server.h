// ControlServer: master's end of <spool>/private/control, answering ternctl's status, reload
// and stop requests (proto/control.proto). Only root, tern and master's own uid may connect.
// Runs on master's loop.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "common/ipc/channel.h"
#include "common/ipc/listener.h"
#include "master/supervisor.h"

namespace tern::master {

struct ControlHandlers {
  std::function<std::vector<ChildStatus>()> status;
  std::function<void()> reload;
  std::function<void()> stop;
};

class ControlServer {
 public:
  // Takes ownership of the listening fd.
  ControlServer(uv_loop_t* loop, int listening_fd, ControlHandlers handlers);

 private:
  void on_accept(std::unique_ptr<ipc::Channel> channel);
  void on_frame(uint64_t connection, std::string_view payload);

  ControlHandlers handlers_;
  int64_t started_us_;
  std::unique_ptr<ipc::Listener> listener_;
  std::map<uint64_t, std::unique_ptr<ipc::Channel>> connections_;
  uint64_t next_connection_ = 1;
};

}  // namespace tern::master

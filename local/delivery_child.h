// DeliveryChild: one recipient's delivery in a forked child process, watched from the loop.
//
// Why a child per recipient: local keeps root, and each delivery must run as the mailbox
// owner. A forked child is single-threaded, so it may switch its effective ids per target
// (identity.h) and block in fsync, locks and commands without touching the loop or any other
// delivery; a crash or a hang costs that one recipient only. The child runs `work`, sends
// the RecipientResult back as one IPC frame over a socketpair and _exits without running any
// destructor (the loop and its handles belong to the parent).
//
// The parent reads the frame through an ipc::Channel; EOF without a result (the child died)
// or the time limit (the child is killed) is DEFERRED 4.3.0. `done` runs exactly once, on the
// loop; the owner may destroy the DeliveryChild inside it. Children are reaped by the
// owner's SIGCHLD watcher (reap_children()).
#pragma once

#include <sys/types.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "common/ipc/channel.h"
#include "common/result.h"
#include "common/uv/timer.h"
#include "delivery.pb.h"

namespace tern::local {

class DeliveryChild {
 public:
  using Work = std::function<proto::RecipientResult()>;
  using Done = std::function<void(proto::RecipientResult)>;

  static Result<std::unique_ptr<DeliveryChild>> start(uv_loop_t* loop, uint32_t index, uint64_t timeout_ms,
                                                      const Work& work, Done done);
  ~DeliveryChild();
  DeliveryChild(const DeliveryChild&) = delete;
  DeliveryChild& operator=(const DeliveryChild&) = delete;

  pid_t pid() const { return pid_; }

 private:
  DeliveryChild(uv_loop_t* loop, uint32_t index, pid_t pid, Done done);
  void finish(proto::RecipientResult result);
  void on_frame(std::string_view payload);
  void on_close(std::string_view reason);

  uint32_t index_;
  pid_t pid_;
  Done done_;
  std::unique_ptr<ipc::Channel> channel_;
  uv::Timer timer_;
  std::optional<proto::RecipientResult> result_;
};

// waitpid(-1, WNOHANG) until nothing is left to reap; logs children that did not exit 0.
void reap_children();

}  // namespace tern::local

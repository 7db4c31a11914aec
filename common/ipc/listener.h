// Listener: accepts connections on an already-listening unix stream socket and hands each
// allowed peer over as a Channel. Master creates and binds the sockets (listen_unix) and the
// serving program inherits the fd; the Listener owns it from adopt() on.
//
// Every peer is checked with SO_PEERCRED against a PeerPolicy (DESIGN.md §3: only root and
// the tern user -- and our own uid, which is how unprivileged test and development runs
// work); a rejected peer is closed at once with a warning in the log. Accept errors (EMFILE
// and the like) are logged and the listener keeps going. Runs on the loop thread; the accept
// callback may destroy the Listener.
#pragma once

#include <sys/types.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/ipc/channel.h"
#include "common/result.h"
#include "common/uv/handle.h"

namespace tern::ipc {

inline constexpr uid_t kNoUid = static_cast<uid_t>(-1);
inline constexpr gid_t kNoGid = static_cast<gid_t>(-1);

// Which peer uids may connect. Pure: tested without sockets.
struct PeerPolicy {
  bool allow_any = false;   // the public submission socket: anyone (sendmail as any user)
  uid_t tern_uid = kNoUid;  // the tern user
  uid_t self_uid = kNoUid;  // the uid this process runs as

  // Root, tern_uid and this process's effective uid: the private IPC sockets.
  static PeerPolicy trusted(uid_t tern_uid);
  static PeerPolicy any() { return PeerPolicy{.allow_any = true}; }

  bool allows(uid_t uid) const;
};

class Listener {
 public:
  using AcceptHandler = std::function<void(std::unique_ptr<Channel>)>;

  // Takes ownership of `listening_fd` (closed on failure too). `name` labels log lines.
  static Result<std::unique_ptr<Listener>> adopt(uv_loop_t* loop, int listening_fd,
                                                 PeerPolicy policy, std::string name,
                                                 AcceptHandler on_accept);
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  uint64_t accepted() const { return accepted_; }
  uint64_t rejected() const { return rejected_; }

 private:
  Listener(uv::UvHandle<uv_pipe_t> pipe, PeerPolicy policy, std::string name,
           AcceptHandler on_accept);
  static void on_connection(uv_stream_t* server, int status);
  void accept_one();

  uv::UvHandle<uv_pipe_t> pipe_;
  PeerPolicy policy_;
  std::string name_;
  AcceptHandler on_accept_;
  uint64_t accepted_ = 0;
  uint64_t rejected_ = 0;
};

// Creates a listening unix stream socket at `path` for master: removes a stale socket file
// left by an earlier run (refusing when the path is something else, or when a live process
// still answers on it), binds, sets `mode` and owner/group (kNoUid/kNoGid: unchanged) and only
// then listens, so that no one connects before the permissions are in place. Returns a
// non-blocking, close-on-exec fd.
Result<int> listen_unix(const std::string& path, mode_t mode, uid_t owner, gid_t group);

}  // namespace tern::ipc

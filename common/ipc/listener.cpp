// Listener over a listening uv_pipe_t, the peer policy, and listen_unix().
#include "common/ipc/listener.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/check.h"
#include "common/ipc/connect.h"
#include "common/log/log.h"

namespace tern::ipc {

PeerPolicy PeerPolicy::trusted(uid_t tern_uid) {
  return PeerPolicy{.allow_any = false, .tern_uid = tern_uid, .self_uid = ::geteuid()};
}

bool PeerPolicy::allows(uid_t uid) const {
  if (allow_any || uid == 0) return true;
  if (uid == kNoUid) return false;
  return uid == tern_uid || uid == self_uid;
}

Result<std::unique_ptr<Listener>> Listener::adopt(uv_loop_t* loop, int listening_fd,
                                                  PeerPolicy policy, std::string name,
                                                  AcceptHandler on_accept) {
  auto* raw = new uv_pipe_t;
  TERN_CHECK(uv_pipe_init(loop, raw, 0) == 0);
  uv::UvHandle<uv_pipe_t> pipe(raw);
  if (int rc = uv_pipe_open(raw, listening_fd); rc < 0) {
    ::close(listening_fd);
    return fail("ipc: " + name + ": uv_pipe_open: " + uv_strerror(rc), -rc);
  }
  // listen() again on a listening socket only sets the backlog; libuv needs the call.
  if (int rc = uv_listen(pipe.stream(), SOMAXCONN, &Listener::on_connection); rc < 0) {
    return fail("ipc: " + name + ": listen: " + uv_strerror(rc), -rc);
  }
  return std::unique_ptr<Listener>(
      new Listener(std::move(pipe), policy, std::move(name), std::move(on_accept)));
}

Listener::Listener(uv::UvHandle<uv_pipe_t> pipe, PeerPolicy policy, std::string name,
                   AcceptHandler on_accept)
    : pipe_(std::move(pipe)), policy_(policy), name_(std::move(name)),
      on_accept_(std::move(on_accept)) {
  pipe_.get()->data = this;
}

void Listener::on_connection(uv_stream_t* server, int status) {
  auto* self = static_cast<Listener*>(server->data);
  if (self == nullptr) return;
  if (status < 0) {
    TERN_LOG_WARNING("ipc: %s: accept failed: %s", self->name_.c_str(), uv_strerror(status));
    return;
  }
  self->accept_one();
}

void Listener::accept_one() {
  auto* raw = new uv_pipe_t;
  TERN_CHECK(uv_pipe_init(pipe_.get()->loop, raw, 0) == 0);
  uv::UvHandle<uv_pipe_t> client(raw);
  if (int rc = uv_accept(pipe_.stream(), client.stream()); rc < 0) {
    TERN_LOG_WARNING("ipc: %s: accept failed: %s", name_.c_str(), uv_strerror(rc));
    return;
  }
  auto channel = Channel::adopt(std::move(client));
  if (!channel) {
    TERN_LOG_WARNING("%s (on %s)", channel.error().message.c_str(), name_.c_str());
    return;
  }
  uid_t uid = (*channel)->peer_uid();
  if (!policy_.allows(uid)) {
    ++rejected_;
    TERN_LOG_WARNING("ipc: %s: rejected connection from uid %u pid %d: not an allowed user",
                     name_.c_str(), static_cast<unsigned>(uid),
                     static_cast<int>((*channel)->peer_pid()));
    return;  // destroying the channel closes the connection
  }
  ++accepted_;
  (*channel)->set_name(name_ + " peer pid " + std::to_string((*channel)->peer_pid()));
  AcceptHandler handler = on_accept_;  // a copy: the handler may destroy this listener
  handler(std::move(*channel));
}

namespace {

// Removes a socket file left by an earlier run. Refuses to remove anything but a socket, and a
// socket that some live process still accepts on.
Result<void> remove_stale_socket(const std::string& path) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return fail_errno("ipc: lstat " + path, errno);
  }
  if (!S_ISSOCK(st.st_mode)) {
    return fail("ipc: " + path + " exists and is not a socket; not removing it", EEXIST);
  }
  if (auto live = connect_unix(path)) {
    ::close(*live);
    return fail("ipc: " + path + " is in use by a running process", EADDRINUSE);
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return fail_errno("ipc: unlink stale socket " + path, errno);
  }
  return {};
}

}  // namespace

Result<int> listen_unix(const std::string& path, mode_t mode, uid_t owner, gid_t group) {
  auto addr = unix_address(path);
  if (!addr) return std::unexpected(addr.error());
  if (auto removed = remove_stale_socket(path); !removed) return std::unexpected(removed.error());

  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail_errno("ipc: socket", errno);
  bool bound = false;
  auto give_up = [&](std::string what) {
    int err = errno;
    ::close(fd);
    if (bound) ::unlink(path.c_str());
    return fail_errno(std::move(what), err);
  };
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) != 0) {
    return give_up("ipc: bind " + path);
  }
  bound = true;
  if (::chmod(path.c_str(), mode) != 0) return give_up("ipc: chmod " + path);
  if ((owner != kNoUid || group != kNoGid) && ::lchown(path.c_str(), owner, group) != 0) {
    return give_up("ipc: chown " + path);
  }
  if (::listen(fd, SOMAXCONN) != 0) return give_up("ipc: listen " + path);
  return fd;
}

}  // namespace tern::ipc

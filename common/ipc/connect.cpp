// connect_unix(): a non-blocking connect, which for unix-domain sockets completes at once.
#include "common/ipc/connect.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tern::ipc {

Result<sockaddr_un> unix_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) {
    return fail("ipc: socket path \"" + path + "\" is empty or longer than " +
                    std::to_string(sizeof addr.sun_path - 1) + " bytes",
                ENAMETOOLONG);
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

Result<int> connect_unix(const std::string& path) {
  auto addr = unix_address(path);
  if (!addr) return std::unexpected(addr.error());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail_errno("ipc: socket", errno);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) != 0) {
    int err = errno;
    ::close(fd);
    return fail_errno("ipc: connect " + path, err);
  }
  return fd;
}

}  // namespace tern::ipc

// read_file_text() (see file_text.h).
#include "common/tables/file_text.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace tern::tables {

Result<std::string> read_file_text(const std::string& path, std::string_view what, struct stat* st) {
  std::string label = std::string(what) + " " + path;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail_errno(label, errno);
  std::string data;
  char buffer[16384];
  int err = 0;
  if (::fstat(fd, st) != 0) err = errno;
  while (err == 0) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) err = errno;
    if (n <= 0) break;
    data.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  if (err != 0) return fail_errno(label, err);
  return data;
}

}  // namespace tern::tables

// Small POSIX helpers shared by the spool files: an owning file descriptor and read/write loops
// that retry on EINTR and short counts. Every failure is a Result error carrying errno
// (ENOSPC, EDQUOT, EFBIG, EIO, ...) and a message naming the file and the call.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "common/result.h"

namespace tern::spool {

// Owns one file descriptor; closes it on destruction. Move-only.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset(int fd = -1);
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_ = -1;
};

// Big-endian integers as they appear in queue files and IPC frames.
inline void store_be32(char* p, uint32_t v) {
  for (int i = 3; i >= 0; --i, v >>= 8) p[i] = static_cast<char>(v & 0xff);
}
inline void store_be64(char* p, uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<char>(v & 0xff);
}
inline uint32_t load_be32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
inline uint64_t load_be64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// Opens `path` (relative to dirfd, or absolute) as a directory, read-only, close-on-exec.
Result<UniqueFd> open_directory(int dirfd, const std::string& path);

// renameat2(RENAME_NOREPLACE) within one directory tree: never replaces an existing file
// (EEXIST). Filesystems without the flag get link()+unlink(), which keeps that guarantee.
// Returns 0, or -1 with errno set, like the call it wraps.
int rename_noreplace(int dirfd, const char* from, const char* to);

// write() until all of `bytes` is written. `what` names the file in error messages.
Result<void> write_all(int fd, std::string_view bytes, const std::string& what);
// pwrite() until all of `bytes` is written at `offset`.
Result<void> pwrite_all(int fd, std::string_view bytes, uint64_t offset, const std::string& what);
// pread() exactly `length` bytes at `offset`; a short file is an error (EBADMSG).
Result<std::string> pread_exact(int fd, uint64_t length, uint64_t offset, const std::string& what);

}  // namespace tern::spool

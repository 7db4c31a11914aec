// Writing a maildrop file (see sendmail_maildrop.h).
#include "ctl/commands/sendmail_maildrop.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/spool/file_io.h"
#include "common/spool/layout.h"
#include "common/spool/queue_file.h"

namespace tern::ctl {
namespace {

// Unlinks the temporary file unless released (the rename succeeded).
class TempName {
 public:
  TempName(int dirfd, std::string name) : dirfd_(dirfd), name_(std::move(name)) {}
  ~TempName() {
    if (!name_.empty()) ::unlinkat(dirfd_, name_.c_str(), 0);
  }
  TempName(const TempName&) = delete;
  TempName& operator=(const TempName&) = delete;
  void release() { name_.clear(); }

 private:
  int dirfd_;
  std::string name_;
};

// The rename is durable once the directory is: fsync it when we may open it, else syncfs().
Result<void> make_durable(int spool_fd, int file_fd) {
  int dir = ::openat(spool_fd, spool::kMaildropDir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    spool::UniqueFd owned(dir);
    if (::fsync(dir) == 0) return {};
    return fail_errno("fsync maildrop/", errno);
  }
  if (::syncfs(file_fd) != 0) return fail_errno("syncfs", errno);
  return {};
}

}  // namespace

Result<std::string> random_name() {
  unsigned char bytes[16];
  size_t got = 0;
  while (got < sizeof bytes) {
    ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("getrandom", errno);
    got += static_cast<size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string name;
  for (unsigned char b : bytes) {
    name.push_back(kHex[b >> 4]);
    name.push_back(kHex[b & 15]);
  }
  return name;
}

Result<std::string> write_maildrop(const std::string& spool_directory, const proto::Envelope& envelope,
                                   const std::string& message) {
  // O_PATH: maildrop/ is searchable and writable by everyone but readable by tern only.
  int spool = ::open(spool_directory.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (spool < 0) return fail_errno(spool_directory, errno);
  spool::UniqueFd spool_fd(spool);
  int drop = ::openat(spool, spool::kMaildropDir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (drop < 0) return fail_errno(spool_directory + "/maildrop", errno);
  spool::UniqueFd drop_fd(drop);
  struct stat dir_stat {};
  if (::fstat(drop, &dir_stat) != 0) return fail_errno(spool_directory + "/maildrop", errno);

  auto name = random_name();
  if (!name) return std::unexpected(name.error());
  std::string temp = "tmp." + *name;
  int fd = ::openat(drop, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return fail_errno(spool_directory + "/maildrop/" + temp, errno);
  spool::UniqueFd file(fd);
  TempName guard(drop, temp);

  std::string envelope_bytes;
  if (!envelope.SerializeToString(&envelope_bytes)) return fail("cannot serialize the envelope");
  std::string bytes = spool::encode_queue_file(envelope_bytes, message);
  std::string what = "maildrop/" + temp;
  if (auto w = spool::write_all(fd, bytes, what); !w) return std::unexpected(w.error());
  if (::fsync(fd) != 0) return fail_errno("fsync " + what, errno);
  mode_t mode = (dir_stat.st_mode & S_ISGID) ? 0640 : 0644;
  if (::fchmod(fd, mode) != 0) return fail_errno("chmod " + what, errno);
  if (spool::rename_noreplace(drop, temp.c_str(), name->c_str()) != 0)
    return fail_errno("rename " + what, errno);
  guard.release();
  if (auto durable = make_durable(spool, fd); !durable) {
    ::unlinkat(drop, name->c_str(), 0);  // not known to be durable: say so rather than keep it
    return std::unexpected(durable.error());
  }
  return *name;
}

}  // namespace tern::ctl

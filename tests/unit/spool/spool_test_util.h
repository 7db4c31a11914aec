// Helpers for the spool tests: a temporary spool tree removed at the end of each test, a fake
// clock, and small file utilities.
#pragma once

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/spool/file_io.h"
#include "common/spool/layout.h"
#include "common/spool/queue_id.h"
#include "envelope.pb.h"

namespace tern::spool::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now) : now_(now) {}
  int64_t now_us() override { return now_; }
  void set(int64_t now) { now_ = now; }

 private:
  int64_t now_;
};

// A temporary directory (mkdtemp) with a spool tree in it; everything is removed on destruction.
// Names in a directory, sorted.
inline std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    out.push_back(entry.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

class TempSpool {
 public:
  TempSpool() {
    char tmpl[] = "/tmp/tern-spool-test.XXXXXX";
    char* dir = ::mkdtemp(tmpl);
    if (dir == nullptr) ::abort();
    root_ = dir;
    spool_ = root_ + "/spool";
    if (!create_spool_tree(spool_, ::getuid(), ::getgid(), false)) ::abort();
    fd_ = UniqueFd(::open(spool_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    queue_fd_ = UniqueFd(::open((spool_ + "/queue").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  }
  ~TempSpool() {
    fd_.reset();
    queue_fd_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }
  TempSpool(const TempSpool&) = delete;
  TempSpool& operator=(const TempSpool&) = delete;

  const std::string& root() const { return root_; }
  const std::string& path() const { return spool_; }
  int fd() const { return fd_.get(); }
  int queue_fd() const { return queue_fd_.get(); }

  // Names in a subdirectory, sorted.
  std::vector<std::string> names(const std::string& subdir) const;

 private:
  std::string root_;
  std::string spool_;
  UniqueFd fd_;
  UniqueFd queue_fd_;
};

inline std::vector<std::string> TempSpool::names(const std::string& subdir) const {
  return names_in(spool_ + "/" + subdir);
}

inline std::string read_file(const std::string& path) {
  std::string out;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[65536];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

// A minimal envelope: alice@example.org to bob@example.net under queue id `id`.
inline proto::Envelope envelope_for(const std::string& id) {
  proto::Envelope env;
  env.set_queue_id(id);
  env.set_sender("alice@example.org");
  env.add_recipients()->set_address("bob@example.net");
  return env;
}

// Fresh queue ids from a fixed clock and this process's pid.
class Ids {
 public:
  std::string next() { return gen_.next(); }

 private:
  FakeClock clock_{1'700'000'000'000'000};
  QueueIdGenerator gen_{clock_, ::getpid()};
};

inline bool write_file(const std::string& path, const std::string& bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool ok = write_all(fd, bytes, path).has_value();
  ::close(fd);
  return ok;
}

}  // namespace tern::spool::testing

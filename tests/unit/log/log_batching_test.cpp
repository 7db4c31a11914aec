// log.batching: lines held for the end of the loop turn, written together by flush(), errors at
// once after the lines before them; unbatched lines written as they come. The logger writes to
// fd 2, which each test points at a file of its own and then gives back.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/log/log.h"

namespace tern::log {
namespace {

// Points fd 2 (and so the logger) at a temporary file for the scope's lifetime.
class CapturedStderr {
 public:
  CapturedStderr() {
    char name[] = "/tmp/tern-log-test-XXXXXX";
    int fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    path_ = name;
    ::fflush(stderr);
    saved_ = ::dup(2);
    ::dup2(fd, 2);
    ::close(fd);
    init("unit", Sink::kStderr);
  }
  ~CapturedStderr() {
    set_batching(false);
    ::dup2(saved_, 2);
    ::close(saved_);
    init("unit", Sink::kStderr);
    ::unlink(path_.c_str());
  }
  // The text after ": " of every line written so far.
  std::vector<std::string> lines() const {
    std::ifstream in(path_);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) {
      auto at = line.find("]: ");
      out.push_back(at == std::string::npos ? line : line.substr(at + 3));
    }
    return out;
  }

 private:
  std::string path_;
  int saved_ = -1;
};

using Lines = std::vector<std::string>;

}  // namespace

TEST_SUITE("log.batching") {
  TEST_CASE("batched lines wait for flush() and then go out together, in order") {
    CapturedStderr captured;
    set_batching(true);
    TERN_LOG_INFO("one");
    TERN_LOG_WARNING("two");
    CHECK(captured.lines().empty());
    flush();
    CHECK(captured.lines() == Lines{"one", "warning: two"});
    flush();  // nothing new: nothing written
    CHECK(captured.lines().size() == 2);
  }

  TEST_CASE("an error is written at once, after the lines batched before it") {
    CapturedStderr captured;
    set_batching(true);
    TERN_LOG_INFO("before");
    TERN_LOG_ERROR("bad");
    CHECK(captured.lines() == Lines{"before", "error: bad"});
  }

  TEST_CASE("turning batching off writes what is held, and later lines at once") {
    CapturedStderr captured;
    set_batching(true);
    TERN_LOG_INFO("held");
    set_batching(false);
    CHECK(captured.lines() == Lines{"held"});
    TERN_LOG_INFO("direct");
    CHECK(captured.lines() == Lines{"held", "direct"});
  }

  TEST_CASE("a batch over 32 KiB is written without waiting for flush()") {
    CapturedStderr captured;
    set_batching(true);
    std::string long_text(1000, 'x');
    for (int i = 0; i < 40; ++i) TERN_LOG_INFO("%d %s", i, long_text.c_str());
    auto written = captured.lines();
    CHECK(written.size() >= 32);
    CHECK(written.size() < 40);
    flush();
    written = captured.lines();
    REQUIRE(written.size() == 40);
    for (int i = 0; i < 40; ++i) CHECK(written[i].starts_with(std::to_string(i) + " x"));
  }

  TEST_CASE("a forked child writes its own lines at once and not its parent's") {
    CapturedStderr captured;
    set_batching(true);
    TERN_LOG_INFO("parent's");
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      TERN_LOG_INFO("child's");
      ::_exit(0);  // no exit handlers: what the child wrote, it wrote itself
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    CHECK(captured.lines() == Lines{"child's"});
    flush();
    CHECK(captured.lines() == Lines{"child's", "parent's"});
  }
}

}  // namespace tern::log

// Tests for ThreadIds: each request leaves the thread with exactly the ids asked for, whatever an
// earlier request left, and a process that is not root switches nothing. Each case runs on a
// thread of its own so that the test process keeps its ids (and uses CHECK there: a REQUIRE
// would throw on a thread that cannot catch it).
#include <doctest/doctest.h>

#include <grp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <latch>
#include <thread>
#include <vector>

#include "local/thread_ids.h"

namespace tern::local {
namespace {

struct Seen {
  uid_t ruid = 0, euid = 0, suid = 0;
  gid_t egid = 0;
  std::vector<gid_t> groups;
  bool operator==(const Seen&) const = default;
};

// The kernel's view of the calling thread (the raw calls: glibc's are per thread too here).
Seen seen() {
  Seen s;
  gid_t rgid = 0, sgid = 0;
  ::syscall(SYS_getresuid, &s.ruid, &s.euid, &s.suid);
  ::syscall(SYS_getresgid, &rgid, &s.egid, &sgid);
  int n = static_cast<int>(::syscall(SYS_getgroups, 0, nullptr));
  s.groups.resize(n > 0 ? static_cast<size_t>(n) : 0);
  if (n > 0) ::syscall(SYS_getgroups, n, s.groups.data());
  return s;
}

template <class F>
void on_a_thread(F f) {
  std::thread t(f);
  t.join();
}

TEST_SUITE("local.thread_ids") {
  TEST_CASE("every request ends with the ids it asked for") {
    if (::getuid() != 0) {
      on_a_thread([] {
        Seen before = seen();
        ThreadIds& ids = ThreadIds::current();
        CHECK_FALSE(ids.privileged());
        CHECK(ids.become(65534, 65534));
        CHECK(ids.become_root_uid());
        CHECK(ids.become_root());
        CHECK(seen() == before);
      });
      return;
    }
    on_a_thread([] {
      ThreadIds& ids = ThreadIds::current();
      CHECK(ids.privileged());
      struct Step { const char* name; int op; uid_t uid; gid_t gid; Seen want; };
      // op 0: become(uid, gid); 1: become_root_uid(); 2: become_root()
      const Step steps[] = {
          {"owner A", 0, 5000, 5001, {0, 5000, 0, 5001, {5001}}},
          {"owner A again", 0, 5000, 5001, {0, 5000, 0, 5001, {5001}}},
          {"root uid, A's groups", 1, 0, 0, {0, 0, 0, 5001, {5001}}},
          {"owner A from root uid", 0, 5000, 5001, {0, 5000, 0, 5001, {5001}}},
          {"owner B, other gid", 0, 6000, 6001, {0, 6000, 0, 6001, {6001}}},
          {"owner C, same gid", 0, 7000, 6001, {0, 7000, 0, 6001, {6001}}},
          {"root", 2, 0, 0, {0, 0, 0, 0, {}}},
          {"root again", 2, 0, 0, {0, 0, 0, 0, {}}},
          {"owner A from root", 0, 5000, 5001, {0, 5000, 0, 5001, {5001}}},
          {"root from an owner", 2, 0, 0, {0, 0, 0, 0, {}}},
      };
      for (const Step& step : steps) {
        INFO("step: ", std::string(step.name));
        Result<void> done = step.op == 0 ? ids.become(step.uid, step.gid)
                            : step.op == 1 ? ids.become_root_uid()
                                           : ids.become_root();
        CHECK_MESSAGE(done.has_value(), (done ? std::string() : done.error().message));
        CHECK(seen() == step.want);
      }
    });
    CHECK(::geteuid() == 0);  // the test's own thread never changed
  }

  TEST_CASE("a thread's ids are its own") {
    if (::getuid() != 0) return;
    std::latch switched(1), looked(1);
    std::thread other([&] {
      switched.wait();
      CHECK(seen().euid == 0);
      looked.count_down();
    });
    on_a_thread([&] {
      CHECK(ThreadIds::current().become(5000, 5000).has_value());
      switched.count_down();
      looked.wait();
      CHECK(seen().euid == 5000);
    });
    other.join();
    CHECK(seen().euid == 0);
  }
}

}  // namespace
}  // namespace tern::local

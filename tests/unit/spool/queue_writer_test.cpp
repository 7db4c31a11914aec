// Tests for the durable queue-file writer in a temporary spool: what commit, abort and the
// destructor leave behind, a crash between any two steps, and a disk that fills up.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/spool/queue_file.h"
#include "common/spool/queue_writer.h"
#include "common/spool/spool_scan.h"
#include "tests/unit/spool/spool_test_util.h"

namespace tern::spool {
namespace {

using testing::Ids;
using testing::TempSpool;
using testing::envelope_for;

using Names = std::vector<std::string>;

std::string body_of_size(size_t n) {
  std::string body;
  body.reserve(n);
  for (size_t i = 0; body.size() < n; ++i) body += "line " + std::to_string(i) + "\r\n";
  body.resize(n);
  return body;
}

// Feeds `body` to the writer in pieces of `chunk` bytes.
Result<void> append_in_chunks(QueueFileWriter& w, const std::string& body, size_t chunk) {
  for (size_t at = 0; at < body.size(); at += chunk)
    if (auto r = w.append(std::string_view(body).substr(at, chunk)); !r) return r;
  return {};
}

// The queue file as parsed from disk, checked against what was written.
void check_queued_file(const TempSpool& spool, const std::string& id, const std::string& body) {
  std::string bytes = testing::read_file(spool.path() + "/queue/" + id);
  auto parsed = parse_queue_file(bytes);
  REQUIRE(parsed.has_value());
  CHECK(parsed->envelope.queue_id() == id);
  CHECK(parsed->envelope.sender() == "alice@example.org");
  CHECK(parsed->message_length == body.size());
  CHECK(bytes.substr(parsed->message_offset, parsed->message_length) == body);
  CHECK(parsed->statuses.empty());
  CHECK_FALSE(parsed->torn_tail);
}

// Runs fn in a child process and returns its exit status (or 128+signal). The child never
// returns into doctest.
int run_in_child(const std::function<int()>& fn) {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(fn());
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST_SUITE("spool.writer") {
  TEST_CASE("commit leaves exactly queue/<id>, whatever the size and the pieces") {
    const size_t big = QueueFileWriter::kBufferSize;
    struct Row {
      const char* name;
      size_t size;
      size_t chunk;
    };
    const Row rows[] = {
        {"empty message", 0, 1},
        {"one byte", 1, 1},
        {"small, one piece", 1000, 1000},
        {"small, byte by byte", 300, 1},
        {"just under the buffer", big - 1, big - 1},
        {"exactly the buffer", big, big},
        {"buffer plus header overflow in small pieces", big + 10, 4096},
        {"several buffers, odd pieces", 3 * big + 7, 65537},
        {"one huge piece", 3 * big + 7, 3 * big + 7},
    };
    Ids ids;
    for (const Row& row : rows) {
      INFO("row: ", row.name);
      TempSpool spool;
      const std::string id = ids.next();
      const std::string body = body_of_size(row.size);
      auto w = QueueFileWriter::create(spool.fd(), id, envelope_for(id));
      REQUIRE(w.has_value());
      REQUIRE(append_in_chunks(*w, body, row.chunk).has_value());
      CHECK(w->message_length() == body.size());
      REQUIRE(w->commit().has_value());
      CHECK(spool.names("queue") == Names{id});
      CHECK(spool.names("incoming").empty());
      check_queued_file(spool, id, body);
    }
  }

  TEST_CASE("the destructor after commit leaves the file") {
    TempSpool spool;
    Ids ids;
    const std::string id = ids.next();
    {
      auto w = QueueFileWriter::create(spool.fd(), id, envelope_for(id));
      REQUIRE(w.has_value());
      REQUIRE(w->append("hello\r\n").has_value());
      REQUIRE(w->commit().has_value());
      w->abort();  // a no-op once accepted
    }
    CHECK(spool.names("queue") == Names{id});
  }

  TEST_CASE("abort and the destructor leave nothing") {
    struct Row {
      const char* name;
      int steps;       // 0 created, 1 appended, 2 finished and synced, 3 published
      bool call_abort;  // else the destructor does it
    };
    const Row rows[] = {
        {"abort after create", 0, true},         {"destructor after create", 0, false},
        {"abort after append", 1, true},         {"destructor after append", 1, false},
        {"abort after sync", 2, true},           {"destructor after sync", 2, false},
        {"abort after publish withdraws it", 3, true},
    };
    Ids ids;
    for (bool unnamed : {false, true})
    for (const Row& row : rows) {
      INFO("row: ", std::string(row.name) + (unnamed ? ", unnamed" : ""));
      TempSpool spool;
      const std::string id = ids.next();
      {
        auto w = QueueFileWriter::create(spool.fd(), id, envelope_for(id), unnamed);
        REQUIRE(w.has_value());
        if (row.steps >= 1)
          REQUIRE(w->append(body_of_size(QueueFileWriter::kBufferSize * 2)).has_value());
        if (row.steps >= 2) REQUIRE(w->finish_and_sync().has_value());
        if (row.steps >= 3) REQUIRE(w->publish().has_value());
        if (row.call_abort) {
          w->abort();
          w->abort();  // idempotent
        }
      }
      CHECK(spool.names("incoming").empty());
      // An unnamed file gets its name in finish_and_sync(): from then on it is published, and
      // only abort() withdraws it.
      if (unnamed && row.steps >= 2 && !row.call_abort) {
        CHECK(spool.names("queue") == Names{id});
      } else {
        CHECK(spool.names("queue").empty());
      }
    }
  }

  TEST_CASE("only file systems that log a new name with the file take unnamed queue files") {
    // tmpfs keeps nothing across a crash and promises nothing about fsync: never.
    int shm = ::open("/dev/shm", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct statfs fs {};
    if (shm >= 0 && ::fstatfs(shm, &fs) == 0 && fs.f_type == 0x01021994 /* TMPFS_MAGIC */) {
      CHECK_FALSE(file_fsync_persists_new_names(shm));
    }
    if (shm >= 0) ::close(shm);
    CHECK_FALSE(file_fsync_persists_new_names(-1));
  }

  TEST_CASE("an unnamed file is named in queue/ when complete, never in incoming/") {
    TempSpool spool;
    Ids ids;
    const std::string id = ids.next();
    const std::string body = body_of_size(QueueFileWriter::kBufferSize + 100);
    auto w = QueueFileWriter::create(spool.fd(), id, envelope_for(id), true);
    REQUIRE(w.has_value());
    REQUIRE(w->append(body).has_value());
    CHECK(spool.names("queue").empty());
    CHECK(spool.names("incoming").empty());
    REQUIRE(w->finish_and_sync().has_value());
    CHECK(spool.names("queue") == Names{id});
    CHECK_FALSE(w->needs_directory_sync());
    REQUIRE(w->publish().has_value());
    CHECK(spool.names("queue") == Names{id});
    CHECK(spool.names("incoming").empty());
    check_queued_file(spool, id, body);
  }

  TEST_CASE("an unnamed file is not published over a queue file with its name") {
    TempSpool spool;
    Ids ids;
    const std::string id = ids.next();
    auto first = QueueFileWriter::create(spool.fd(), id, envelope_for(id), true);
    REQUIRE(first.has_value());
    REQUIRE(first->append("first\r\n").has_value());
    REQUIRE(first->commit().has_value());
    auto second = QueueFileWriter::create(spool.fd(), id, envelope_for(id), true);
    REQUIRE(second.has_value());
    REQUIRE(second->append("second\r\n").has_value());
    auto r = second->commit();
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == EEXIST);
    check_queued_file(spool, id, "first\r\n");
  }

  TEST_CASE("group commit: several files share one directory fsync") {
    TempSpool spool;
    Ids ids;
    std::vector<QueueFileWriter> writers;
    Names want;
    for (int i = 0; i < 3; ++i) {
      const std::string id = ids.next();
      want.push_back(id);
      auto w = QueueFileWriter::create(spool.fd(), id, envelope_for(id));
      REQUIRE(w.has_value());
      REQUIRE(w->append("message " + std::to_string(i) + "\r\n").has_value());
      writers.push_back(std::move(*w));
    }
    for (auto& w : writers) REQUIRE(w.finish_and_sync().has_value());
    for (auto& w : writers) REQUIRE(w.publish().has_value());
    REQUIRE(sync_directory(spool.queue_fd()).has_value());
    writers.clear();  // published files outlive their writers
    CHECK(spool.names("queue") == want);
    CHECK(spool.names("incoming").empty());
    for (int i = 0; i < 3; ++i)
      check_queued_file(spool, want[i], "message " + std::to_string(i) + "\r\n");
  }

  TEST_CASE("a taken or malformed id is refused and nothing is overwritten") {
    TempSpool spool;
    Ids ids;
    const std::string id = ids.next();
    auto first = QueueFileWriter::create(spool.fd(), id, envelope_for(id));
    REQUIRE(first.has_value());

    auto same_incoming = QueueFileWriter::create(spool.fd(), id, envelope_for(id));
    REQUIRE_FALSE(same_incoming.has_value());
    CHECK(same_incoming.error().code == EEXIST);

    REQUIRE(first->append("first\r\n").has_value());
    REQUIRE(first->commit().has_value());
    auto second = QueueFileWriter::create(spool.fd(), id, envelope_for(id));
    REQUIRE(second.has_value());
    REQUIRE(second->append("second\r\n").has_value());
    auto committed = second->commit();
    REQUIRE_FALSE(committed.has_value());
    CHECK(committed.error().code == EEXIST);
    CHECK(second->append("more").error().code == EEXIST);  // the error sticks
    CHECK(spool.names("incoming").empty());
    check_queued_file(spool, id, "first\r\n");

    for (const char* bad : {"", "../queue/x", "0000000000000000/../x", "aaaaaaaaaaaaaaaa"}) {
      INFO("id: ", bad);
      auto w = QueueFileWriter::create(spool.fd(), bad, envelope_for(bad));
      REQUIRE_FALSE(w.has_value());
      CHECK(w.error().code == EINVAL);
    }
  }

  TEST_CASE("a crash between any two steps leaves nothing or the whole file") {
    const std::string body = body_of_size(QueueFileWriter::kBufferSize + 1234);
    const char* steps[] = {"created",         "small piece appended", "big piece appended",
                           "finished and synced", "published",        "directory synced"};
    Ids ids;
    for (int crash_after = 0; crash_after < 6; ++crash_after) {
      INFO("crash after: ", steps[crash_after]);
      TempSpool spool;
      const std::string id = ids.next();
      int exit_code = run_in_child([&]() -> int {
        auto w = QueueFileWriter::create(spool.fd(), id, envelope_for(id));
        if (!w) return 10;
        if (crash_after == 0) ::_exit(0);  // no destructor runs: a crash
        if (!w->append(std::string_view(body).substr(0, 100))) return 11;
        if (crash_after == 1) ::_exit(0);
        if (!w->append(std::string_view(body).substr(100))) return 12;
        if (crash_after == 2) ::_exit(0);
        if (!w->finish_and_sync()) return 13;
        if (crash_after == 3) ::_exit(0);
        if (!w->publish()) return 14;
        if (crash_after == 4) ::_exit(0);
        if (!sync_directory(spool.queue_fd())) return 15;
        ::_exit(0);
      });
      REQUIRE(exit_code == 0);

      // Recovery, as qmgr does it at start-up.
      auto cleaned = clean_incoming(spool.fd());
      REQUIRE(cleaned.has_value());
      CHECK(*cleaned == (crash_after <= 3 ? 1 : 0));
      CHECK(spool.names("incoming").empty());
      auto queued = list_queue(spool.fd(), "queue");
      REQUIRE(queued.has_value());
      if (crash_after <= 3) {
        CHECK(queued->empty());
      } else {
        CHECK(*queued == Names{id});
        check_queued_file(spool, id, body);
      }
    }
  }

  TEST_CASE("a file-size limit surfaces as EFBIG and leaves no file") {
    TempSpool spool;
    Ids ids;
    const std::string id = ids.next();
    const std::string body = body_of_size(4 * QueueFileWriter::kBufferSize);
    struct Row {
      const char* name;
      bool commit_only;  // everything fits the buffer until commit
    };
    for (const Row& row : {Row{"fails in append", false}, Row{"fails in commit", true}}) {
      INFO("row: ", row.name);
      int exit_code = run_in_child([&]() -> int {
        ::signal(SIGXFSZ, SIG_IGN);
        struct rlimit limit = {64 * 1024, 64 * 1024};
        if (::setrlimit(RLIMIT_FSIZE, &limit) < 0) return 20;
        auto w = QueueFileWriter::create(spool.fd(), id, envelope_for(id));
        if (!w) return 21;
        std::string_view piece = row.commit_only
                                     ? std::string_view(body).substr(0, 100 * 1024)
                                     : std::string_view(body);
        auto appended = w->append(piece);
        auto committed = appended ? w->commit() : appended;
        if (committed) return 22;                     // should have failed
        if (committed.error().code != EFBIG) return 23;
        if (row.commit_only != appended.has_value()) return 24;  // failed at the expected step
        return 0;
      });
      CHECK(exit_code == 0);
      CHECK(spool.names("incoming").empty());
      CHECK(spool.names("queue").empty());
    }
  }

  TEST_CASE("a full disk surfaces as ENOSPC and leaves no file") {
    // Needs a private mount namespace and a tiny tmpfs: root (or CAP_SYS_ADMIN) only.
    TempSpool spool;
    Ids ids;
    const std::string id = ids.next();
    const std::string body = body_of_size(1024 * 1024);
    int exit_code = run_in_child([&]() -> int {
      if (::unshare(CLONE_NEWNS) < 0) return 77;
      if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) return 77;
      if (::mount("tmpfs", spool.root().c_str(), "tmpfs", 0, "size=256k") < 0) return 77;
      if (!create_spool_tree(spool.path(), ::getuid(), ::getgid(), false)) return 30;
      UniqueFd fd(::open(spool.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      auto w = QueueFileWriter::create(fd.get(), id, envelope_for(id));
      if (!w) return 31;
      auto appended = w->append(body);
      auto committed = appended ? w->commit() : appended;
      if (committed) return 32;
      if (committed.error().code != ENOSPC) return 33;
      if (!testing::names_in(spool.path() + "/incoming").empty()) return 34;
      if (!testing::names_in(spool.path() + "/queue").empty()) return 35;
      return 0;
    });
    if (exit_code == 77) {
      MESSAGE("no tmpfs mount possible here (not root?): ENOSPC covered by the EFBIG test only");
      return;
    }
    CHECK(exit_code == 0);
  }
}

}  // namespace
}  // namespace tern::spool

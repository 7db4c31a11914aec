// Tests for recycled queue files: qmgr's FreeFiles moves a finished file to free/ (or unlinks
// it past its limits), RecycledFiles claims a batch and hands the files out, a writer given
// one writes a correct queue file over a longer old one, two claimers never share a file, and
// claimed names are cleaned up (by the destructor, and by clean_claimed_files at start).
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/spool/queue_file.h"
#include "common/spool/queue_writer.h"
#include "common/spool/recycled_files.h"
#include "common/spool/spool_scan.h"
#include "qmgr/free_files.h"
#include "tests/unit/spool/spool_test_util.h"

namespace tern::spool {
namespace {

using testing::Ids;
using testing::TempSpool;
using testing::envelope_for;

// Commits a message with `body` under `id` through a writer that may take a recycled file.
void commit_message(const TempSpool& spool, const std::string& id, const std::string& body,
                    RecycledFiles* recycled) {
  auto writer = QueueFileWriter::create(spool.fd(), id, envelope_for(id), false, recycled);
  REQUIRE(writer.has_value());
  REQUIRE(writer->append(body).has_value());
  REQUIRE(writer->commit().has_value());
}

ino_t inode_of(const std::string& path) {
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_ino;
}


constexpr int64_t kNow = 1'700'000'000'000'000;

TEST_SUITE("spool.recycled_files") {
  TEST_CASE("a finished file is written again for the next message, cut to its new length") {
    TempSpool spool;
    Ids ids;
    const std::string old_id = ids.next();
    const std::string long_body(20000, 'Z');
    commit_message(spool, old_id, long_body, nullptr);
    const ino_t old_inode = inode_of(spool.path() + "/queue/" + old_id);

    qmgr::FreeFiles free_files(spool.fd(), kNow);
    REQUIRE(free_files.retire(old_id, long_body.size(), kNow).has_value());
    CHECK(spool.names("queue").empty());
    CHECK(spool.names("free") == std::vector<std::string>{old_id});

    auto recycled = RecycledFiles::open(spool.fd());
    REQUIRE(recycled.has_value());
    REQUIRE((*recycled)->wants_refill());
    (*recycled)->refill();
    CHECK(spool.names("free") == std::vector<std::string>{claimed_prefix(::getpid()) + old_id});

    const std::string new_id = ids.next();
    const std::string short_body = "Subject: new\r\n\r\nshort\r\n";
    commit_message(spool, new_id, short_body, recycled->get());
    CHECK((*recycled)->taken() == 1);
    CHECK(spool.names("free").empty());
    CHECK(spool.names("incoming").empty());
    CHECK(spool.names("queue") == std::vector<std::string>{new_id});
    const std::string path = spool.path() + "/queue/" + new_id;
    CHECK(inode_of(path) == old_inode);  // the same file, not a new one

    std::string bytes = testing::read_file(path);
    auto parsed = parse_queue_file(bytes);
    REQUIRE(parsed.has_value());
    CHECK(parsed->envelope.queue_id() == new_id);
    CHECK(bytes.substr(parsed->message_offset, parsed->message_length) == short_body);
    CHECK_FALSE(parsed->torn_tail);
    CHECK(parsed->valid_length == bytes.size());  // nothing of the old message after it
    CHECK(bytes.find("ZZZZ") == std::string::npos);
  }

  TEST_CASE("a small recycled file is in queue/ after its one fsync; a large one waits for queue/'s") {
    TempSpool spool;
    Ids ids;
    qmgr::FreeFiles free_files(spool.fd(), kNow);
    for (int i = 0; i < 2; ++i) {
      const std::string old_id = ids.next();
      commit_message(spool, old_id, "Subject: old\r\n\r\nold\r\n", nullptr);
      REQUIRE(free_files.retire(old_id, 24, kNow).has_value());
    }
    auto recycled = RecycledFiles::open(spool.fd());
    REQUIRE(recycled.has_value());
    (*recycled)->refill();
    const bool rename_first = file_fsync_persists_new_names(spool.queue_fd());
    INFO("file system persists new names with the file's fsync: ", rename_first);

    const std::string small_id = ids.next();
    auto small = QueueFileWriter::create(spool.fd(), small_id, envelope_for(small_id), rename_first, recycled->get());
    REQUIRE(small.has_value());
    REQUIRE(small->append("Subject: new\r\n\r\nsmall\r\n").has_value());
    REQUIRE(small->finish_and_sync().has_value());
    CHECK(small->needs_directory_sync() == !rename_first);
    CHECK(spool.names("queue") == (rename_first ? std::vector<std::string>{small_id} : std::vector<std::string>{}));
    REQUIRE(small->publish().has_value());
    if (small->needs_directory_sync()) REQUIRE(sync_directory(spool.queue_fd()).has_value());

    const std::string large_id = ids.next();
    auto large = QueueFileWriter::create(spool.fd(), large_id, envelope_for(large_id), rename_first, recycled->get());
    REQUIRE(large.has_value());
    const std::string large_body(kWholeReadLimit, 'L');
    REQUIRE(large->append(large_body).has_value());
    REQUIRE(large->finish_and_sync().has_value());
    CHECK(large->needs_directory_sync());  // its message is not read back whole: no checksum check
    CHECK(spool.names("queue") == std::vector<std::string>{small_id});
    REQUIRE(large->publish().has_value());
    REQUIRE(sync_directory(spool.queue_fd()).has_value());
    CHECK((*recycled)->taken() == 2);
    std::vector<std::string> both = {small_id, large_id};
    std::sort(both.begin(), both.end());
    CHECK(spool.names("queue") == both);
    for (const std::string& id : {small_id, large_id}) {
      auto parsed = read_queue_file(spool.queue_fd(), id);
      REQUIRE(parsed.has_value());
      CHECK(parsed->envelope.queue_id() == id);
    }
  }

  TEST_CASE("without a claimed file the writer creates one as before") {
    TempSpool spool;
    Ids ids;
    auto recycled = RecycledFiles::open(spool.fd());
    REQUIRE(recycled.has_value());
    REQUIRE((*recycled)->wants_refill());
    (*recycled)->refill();  // free/ is empty: nothing claimed, and no new refill for a while
    CHECK_FALSE((*recycled)->wants_refill());
    const std::string id = ids.next();
    commit_message(spool, id, "Subject: x\r\n\r\nbody\r\n", recycled->get());
    CHECK((*recycled)->taken() == 0);
    CHECK(spool.names("queue") == std::vector<std::string>{id});
  }

  TEST_CASE("two claimers never get the same file") {
    TempSpool spool;
    Ids ids;
    qmgr::FreeFiles free_files(spool.fd(), kNow);
    std::vector<std::string> old_ids;
    for (int i = 0; i < 10; ++i) {
      old_ids.push_back(ids.next());
      commit_message(spool, old_ids.back(), "Subject: old\r\n\r\nx\r\n", nullptr);
      REQUIRE(free_files.retire(old_ids.back(), 20, kNow).has_value());
    }
    auto first = RecycledFiles::open(spool.fd());
    auto second = RecycledFiles::open(spool.fd());
    REQUIRE(first.has_value());
    REQUIRE(second.has_value());
    REQUIRE((*first)->wants_refill());
    (*first)->refill();
    REQUIRE((*second)->wants_refill());
    (*second)->refill();  // finds only names already claimed: takes none of them
    CHECK_FALSE((*second)->take().has_value());
    int taken = 0;
    while (auto claimed = (*first)->take()) ++taken;
    CHECK(taken == 10);
  }

  TEST_CASE("claimed files nobody took are removed, by the destructor or at start") {
    TempSpool spool;
    Ids ids;
    qmgr::FreeFiles free_files(spool.fd(), kNow);
    for (int i = 0; i < 3; ++i) {
      std::string id = ids.next();
      commit_message(spool, id, "Subject: old\r\n\r\nx\r\n", nullptr);
      REQUIRE(free_files.retire(id, 20, kNow).has_value());
    }
    {
      auto recycled = RecycledFiles::open(spool.fd());
      REQUIRE(recycled.has_value());
      REQUIRE((*recycled)->wants_refill());
      (*recycled)->refill();
      CHECK(spool.names("free").size() == 3);
    }
    CHECK(spool.names("free").empty());

    // What dead smtpd processes leave: claimed names (pids 11 and 12) next to a free file.
    std::string a = ids.next(), b = ids.next(), c = ids.next();
    for (const std::string& id : {a, b, c}) {
      commit_message(spool, id, "Subject: x\r\n\r\nx\r\n", nullptr);
      REQUIRE(free_files.retire(id, 20, kNow).has_value());
    }
    auto claim = [&](const std::string& id, int pid) {
      std::string to = "free/" + claimed_prefix(pid) + id;
      REQUIRE(::renameat(spool.fd(), ("free/" + id).c_str(), spool.fd(), to.c_str()) == 0);
    };
    claim(a, 11);
    claim(b, 12);
    auto one = clean_claimed_files(spool.fd(), 11);  // smtpd 11 exited
    REQUIRE(one.has_value());
    CHECK(*one == 1);
    CHECK(spool.names("free") == std::vector<std::string>{c, claimed_prefix(12) + b});
    auto all = clean_claimed_files(spool.fd());  // start-up
    REQUIRE(all.has_value());
    CHECK(*all == 1);
    CHECK(spool.names("free") == std::vector<std::string>{c});
  }

  TEST_CASE("free/ is bounded: large files and files past the limit are unlinked") {
    TempSpool spool;
    Ids ids;
    qmgr::FreeFiles free_files(spool.fd(), kNow);
    std::string big = ids.next();
    commit_message(spool, big, "Subject: big\r\n\r\nx\r\n", nullptr);
    REQUIRE(free_files.retire(big, qmgr::FreeFiles::kMaxMessageLength + 1, kNow).has_value());
    CHECK(spool.names("free").empty());
    CHECK(spool.names("queue").empty());

    // Fill free/ to the limit behind qmgr's back (as if smtpd took none).
    for (size_t i = 0; i < qmgr::FreeFiles::kMaxFiles; ++i) {
      std::string name = spool.path() + "/free/" + ids.next();
      UniqueFd fd(::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600));
      REQUIRE(fd.valid());
    }
    qmgr::FreeFiles counted(spool.fd(), kNow);
    CHECK(counted.estimate() == qmgr::FreeFiles::kMaxFiles);
    std::string id = ids.next();
    commit_message(spool, id, "Subject: x\r\n\r\nx\r\n", nullptr);
    REQUIRE(counted.retire(id, 20, kNow + qmgr::FreeFiles::kRecountUs).has_value());
    CHECK(spool.names("queue").empty());
    CHECK(spool.names("free").size() == qmgr::FreeFiles::kMaxFiles);  // unlinked, not kept

    auto missing = counted.retire(id, 20, kNow);
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().code == ENOENT);
  }
}

}  // namespace
}  // namespace tern::spool

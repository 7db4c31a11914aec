// Tests for Maildir delivery: names derived from queue id and recipient, tmp -> new, and
// idempotence when the message is already in new/ or cur/ or an attempt left tmp/ behind.
#include <doctest/doctest.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "local/maildir.h"
#include "tests/unit/local/temp_dir.h"

namespace tern::local {
namespace {

using testing::TempDir;

size_t count(const std::string& dir) {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    (void)e;
    ++n;
  }
  return n;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_SUITE("local.maildir") {
  TEST_CASE("names come from queue id, recipient index and host, escaped") {
    struct Row { const char* name; const char* queue_id; uint32_t index; const char* host; const char* want; };
    const Row rows[] = {
        {"plain", "0ABC", 3, "mx.example", "1700000000.T0ABCR3.mx.example"},
        {"slash and colon", "Q", 0, "a/b:c", "1700000000.TQR0.a\\057b\\072c"},
    };
    for (const Row& row : rows) {
      INFO("row: ", std::string(row.name));
      CHECK(maildir_file_name(row.queue_id, row.index, row.host, 1700000000) == row.want);
    }
    CHECK(maildir_file_name("Q", 1, "h", 1) != maildir_file_name("Q", 2, "h", 1));
  }

  TEST_CASE("delivery creates the Maildir and lands in new/") {
    for (bool may_exist : {true, false}) {
      INFO("may_exist: ", may_exist);
      TempDir tmp;
      std::string md = tmp.path + "/deep/Maildir/";
      auto status = deliver_maildir(md, "N1", "Subject: x\n\nhi\n", {.may_exist = may_exist});
      CHECK(status.delivered());
      CHECK(slurp(md + "new/N1") == "Subject: x\n\nhi\n");
      CHECK(count(md + "tmp") == 0);
      CHECK(count(md + "cur") == 0);
    }
  }

  TEST_CASE("a second delivery of the same name is a success without a second copy") {
    struct Row { const char* name; const char* existing; bool may_exist; };
    const Row rows[] = {
        {"in new", "new/N1", true},
        {"in cur", "cur/N1", true},
        {"in cur, seen", "cur/N1:2,S", true},
        // first_attempt wrongly set: the link into new/ still refuses a second copy there.
        {"in new, not looked for", "new/N1", false},
    };
    for (const Row& row : rows) {
      INFO("row: ", std::string(row.name));
      TempDir tmp;
      std::string md = tmp.path + "/";
      REQUIRE(deliver_maildir(md, "N1", "first\n", {}).delivered());
      if (std::string(row.existing) != "new/N1") {
        std::filesystem::rename(md + "new/N1", md + row.existing);
      }
      auto again = deliver_maildir(md, "N1", "second\n", {.may_exist = row.may_exist});
      CHECK(again.delivered());
      CHECK(again.text.find("already there") != std::string::npos);
      CHECK(count(md + "new") + count(md + "cur") == 1);
      CHECK(slurp(md + row.existing) == "first\n");
      CHECK(count(md + "tmp") == 0);
    }
  }

  TEST_CASE("a file an earlier attempt left in tmp/ is never written through") {
    struct Row { const char* name; bool linked; bool may_exist; const char* want_new; };
    const Row rows[] = {
        // died while writing: a partial file, linked nowhere
        {"partial", false, true, "second\n"},
        {"partial, first attempt", false, false, "second\n"},
        // died between link and unlink: tmp/N1 is new/N1's inode
        {"linked to new/", true, true, "first\n"},
        {"linked to new/, first attempt", true, false, "first\n"},
    };
    for (bool through_tmp : {false, true})
    for (const Row& row : rows) {
      INFO("row: ", std::string(row.name) + (through_tmp ? ", through tmp/" : ", unnamed in new/"));
      TempDir tmp;
      std::string md = tmp.path + "/";
      if (row.linked) {
        REQUIRE(deliver_maildir(md, "N1", "first\n", {}).delivered());
        REQUIRE(::link((md + "new/N1").c_str(), (md + "tmp/N1").c_str()) == 0);
      } else {
        for (const char* sub : {"tmp", "new", "cur"}) std::filesystem::create_directories(md + sub);
        std::ofstream(md + "tmp/N1") << "par";
      }
      MaildirOptions options{.may_exist = row.may_exist, .through_tmp = through_tmp};
      CHECK(deliver_maildir(md, "N1", "second\n", options).delivered());
      CHECK(slurp(md + "new/N1") == row.want_new);
      CHECK(count(md + "new") == 1);
      if (through_tmp) {
        // The leftover is unlinked and a new file made; a found copy returns at once.
        CHECK(count(md + "tmp") == (row.linked && row.may_exist ? 1u : 0u));
      } else {
        // The new copy is an unnamed file in new/: tmp/ is not touched (Maildir readers remove
        // old files from there).
        CHECK(slurp(md + "tmp/N1") == (row.linked ? "first\n" : "par"));
      }
    }
  }

  TEST_CASE("a Maildir that lost new/ or tmp/ still takes mail") {
    for (const char* gone : {"tmp", "new"}) {
      INFO("gone: ", std::string(gone));
      TempDir tmp;
      std::string md = tmp.path + "/";
      for (const char* sub : {"tmp", "new", "cur"}) std::filesystem::create_directories(md + sub);
      std::filesystem::remove(md + gone);
      CHECK(deliver_maildir(md, "N1", "hi\n", {.may_exist = false}).delivered());
      CHECK(slurp(md + "new/N1") == "hi\n");
      CHECK(count(md + "new") == 1);
    }
  }

  TEST_CASE("looking for an earlier copy matches NAME and NAME:info only") {
    TempDir tmp;
    std::string md = tmp.path + "/";
    for (const char* sub : {"tmp", "new", "cur"}) std::filesystem::create_directories(md + sub);
    // Enough entries that cur/ takes several getdents64 calls.
    for (int i = 0; i < 3000; ++i) std::ofstream(md + "cur/1700000000.TQ" + std::to_string(i) + "R0.host:2,S");
    std::ofstream(md + "cur/N10:2,S");
    std::ofstream(md + "cur/N1x");
    std::ofstream(md + "new/N2x");
    std::ofstream(md + "cur/N3");
    std::ofstream(md + "cur/N4:2,RS");
    std::ofstream(md + "new/N5");
    struct Row { const char* name; CopyIn want; };
    const Row rows[] = {{"N1", CopyIn::kNowhere}, {"N2", CopyIn::kNowhere}, {"N3", CopyIn::kCur},
                        {"N4", CopyIn::kCur}, {"N5", CopyIn::kNew}, {"1700000000.TQ2999R0.host", CopyIn::kCur},
                        {"1700000000.TQ3000R0.host", CopyIn::kNowhere}};
    for (const Row& row : rows) {
      INFO("name: ", std::string(row.name));
      auto found = find_maildir_copy(md, row.name);
      REQUIRE(found);
      CHECK(*found == row.want);
    }
    auto nothing = find_maildir_copy(tmp.path + "/no/such/Maildir/", "N1");
    REQUIRE(nothing);
    CHECK(*nothing == CopyIn::kNowhere);
  }

  TEST_CASE("make_directories makes every missing component and refuses a file in the way") {
    TempDir tmp;
    CHECK(make_directories(tmp.path + "/a/b/c"));
    CHECK(std::filesystem::is_directory(tmp.path + "/a/b/c"));
    CHECK((std::filesystem::status(tmp.path + "/a/b").permissions() & std::filesystem::perms::all) ==
          std::filesystem::perms::owner_all);
    CHECK(make_directories(tmp.path + "/a/b/c"));    // already there
    CHECK(make_directories(tmp.path + "/a/b/d/"));   // a trailing slash
    CHECK(std::filesystem::is_directory(tmp.path + "/a/b/d"));
    std::ofstream(tmp.path + "/a/file") << "x";
    auto in_the_way = make_directories(tmp.path + "/a/file");
    REQUIRE_FALSE(in_the_way);
    CHECK(in_the_way.error().code == ENOTDIR);
    CHECK_FALSE(make_directories(tmp.path + "/a/file/sub"));
  }

  TEST_CASE("over the size limit bounces 5.2.2 and writes nothing") {
    TempDir tmp;
    auto status = deliver_maildir(tmp.path + "/", "N1", std::string(100, 'x'), {.size_limit = 50});
    CHECK(status.outcome == proto::RecipientResult::BOUNCED);
    CHECK(status.dsn == "5.2.2");
    CHECK_FALSE(std::filesystem::exists(tmp.path + "/tmp"));
  }
}

}  // namespace
}  // namespace tern::local

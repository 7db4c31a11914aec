// Tests for Maildir delivery: names derived from queue id and recipient, tmp -> new, and
// idempotence when the message is already in new/ or cur/.
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

namespace tern::local {
namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char templ[] = "/tmp/tern-maildir-test-XXXXXX";
    path = ::mkdtemp(templ);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

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
      INFO("row: ", row.name);
      CHECK(maildir_file_name(row.queue_id, row.index, row.host, 1700000000) == row.want);
    }
    CHECK(maildir_file_name("Q", 1, "h", 1) != maildir_file_name("Q", 2, "h", 1));
  }

  TEST_CASE("delivery creates the Maildir and lands in new/") {
    TempDir tmp;
    std::string md = tmp.path + "/deep/Maildir/";
    auto status = deliver_maildir(md, "N1", "Subject: x\n\nhi\n", 0);
    CHECK(status.delivered());
    CHECK(slurp(md + "new/N1") == "Subject: x\n\nhi\n");
    CHECK(count(md + "tmp") == 0);
    CHECK(count(md + "cur") == 0);
  }

  TEST_CASE("a second delivery of the same name is a success without a second copy") {
    struct Row { const char* name; const char* existing; };
    const Row rows[] = {{"in new", "new/N1"}, {"in cur", "cur/N1"}, {"in cur, seen", "cur/N1:2,S"}};
    for (const Row& row : rows) {
      INFO("row: ", row.name);
      TempDir tmp;
      std::string md = tmp.path + "/";
      REQUIRE(deliver_maildir(md, "N1", "first\n", 0).delivered());
      if (std::string(row.existing) != "new/N1") {
        std::filesystem::rename(md + "new/N1", md + row.existing);
      }
      auto again = deliver_maildir(md, "N1", "second\n", 0);
      CHECK(again.delivered());
      CHECK(count(md + "new") + count(md + "cur") == 1);
      CHECK(slurp(md + row.existing) == "first\n");
      CHECK(count(md + "tmp") == 0);
    }
  }

  TEST_CASE("over the size limit bounces 5.2.2 and writes nothing") {
    TempDir tmp;
    auto status = deliver_maildir(tmp.path + "/", "N1", std::string(100, 'x'), 50);
    CHECK(status.outcome == proto::RecipientResult::BOUNCED);
    CHECK(status.dsn == "5.2.2");
  }
}

}  // namespace
}  // namespace tern::local

// Tests for mbox delivery: appended entries, quoting, stale dotlocks, locked mailboxes.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "local/mbox.h"
#include "tests/unit/local/temp_dir.h"

namespace tern::local {
namespace {

using testing::TempDir;

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_SUITE("local.mbox") {
  TEST_CASE("two deliveries append two quoted entries and remove the lock") {
    TempDir tmp;
    std::string box = tmp.path + "/user";
    CHECK(deliver_mbox(box, "a@b", "S: 1\n\nFrom here\n", 0, {}).delivered());
    CHECK(deliver_mbox(box, "", "S: 2\n\nx", 86400, {}).delivered());
    CHECK(slurp(box) ==
          "From a@b Thu Jan  1 00:00:00 1970\nS: 1\n\n>From here\n\n"
          "From MAILER-DAEMON Fri Jan  2 00:00:00 1970\nS: 2\n\nx\n\n");
    CHECK_FALSE(std::filesystem::exists(box + ".lock"));
  }

  TEST_CASE("a stale dotlock is removed; a fresh one defers") {
    TempDir tmp;
    std::string box = tmp.path + "/user";
    std::ofstream(box + ".lock").close();
    struct utimbuf old{::time(nullptr) - kStaleLockSeconds - 10, ::time(nullptr) - kStaleLockSeconds - 10};
    ::utime((box + ".lock").c_str(), &old);
    CHECK(deliver_mbox(box, "a@b", "x\n", 0, {}).delivered());
    CHECK_FALSE(std::filesystem::exists(box + ".lock"));
  }

  TEST_CASE("over mailbox_size_limit bounces 5.2.2 and leaves the file as it was") {
    TempDir tmp;
    std::string box = tmp.path + "/user";
    MboxOptions options;
    options.size_limit = 100;
    CHECK(deliver_mbox(box, "a@b", "S: 1\n\nsmall\n", 0, options).delivered());
    std::string before = slurp(box);
    auto status = deliver_mbox(box, "a@b", std::string(200, 'x'), 0, options);
    CHECK(status.outcome == proto::RecipientResult::BOUNCED);
    CHECK(status.dsn == "5.2.2");
    CHECK(slurp(box) == before);
  }

  TEST_CASE("a symlink or hard-linked mailbox is refused (deferred)") {
    TempDir tmp;
    std::ofstream(tmp.path + "/target").close();
    std::filesystem::create_symlink(tmp.path + "/target", tmp.path + "/link");
    CHECK(deliver_mbox(tmp.path + "/link", "a@b", "x\n", 0, {}).outcome == proto::RecipientResult::DEFERRED);
    std::filesystem::create_hard_link(tmp.path + "/target", tmp.path + "/hard");
    CHECK(deliver_mbox(tmp.path + "/hard", "a@b", "x\n", 0, {}).outcome == proto::RecipientResult::DEFERRED);
    CHECK(slurp(tmp.path + "/target").empty());
  }
}

}  // namespace
}  // namespace tern::local

// Tests for the spool tree: created with the documented modes, repaired when modes drift,
// refused when a name is taken by something that is not a directory.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "common/spool/layout.h"
#include "tests/unit/spool/spool_test_util.h"

namespace tern::spool {
namespace {

using testing::TempSpool;

mode_t mode_of(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) < 0) return 0;
  return st.st_mode & 07777;
}

void check_tree(const std::string& spool) {
  for (const SpoolSubdir& sub : kSpoolSubdirs) {
    INFO("subdir: ", sub.name);
    CHECK(mode_of(spool + "/" + sub.name) == sub.mode);
  }
}

TEST_SUITE("spool.layout") {
  TEST_CASE("a new tree has the documented modes, whatever the umask") {
    TempSpool scratch;
    const std::string spool = scratch.root() + "/fresh";
    mode_t old_umask = ::umask(077);
    auto r = create_spool_tree(spool, ::getuid(), ::getgid(), false);
    ::umask(old_umask);
    REQUIRE(r.has_value());
    CHECK(mode_of(spool) == kSpoolDirMode);
    check_tree(spool);
    CHECK(mode_of(spool + "/maildrop") == 03733);
    CHECK(mode_of(spool + "/public") == 0755);
    CHECK(mode_of(spool + "/queue") == 0700);
  }

  TEST_CASE("drifted modes are repaired and the call is repeatable") {
    TempSpool spool;
    REQUIRE(::chmod((spool.path() + "/queue").c_str(), 0777) == 0);
    REQUIRE(::chmod((spool.path() + "/maildrop").c_str(), 0700) == 0);
    REQUIRE(testing::write_file(spool.path() + "/queue/keep", "x"));
    REQUIRE(create_spool_tree(spool.path(), ::getuid(), ::getgid(), false).has_value());
    REQUIRE(create_spool_tree(spool.path(), ::getuid(), ::getgid(), false).has_value());
    check_tree(spool.path());
    CHECK(testing::read_file(spool.path() + "/queue/keep") == "x");
  }

  TEST_CASE("a name taken by a file or a symlink is an error") {
    struct Row {
      const char* name;
      bool symlink;
    };
    for (const Row& row : {Row{"a regular file", false}, Row{"a symlink to a directory", true}}) {
      INFO("row: ", row.name);
      TempSpool scratch;
      const std::string spool = scratch.root() + "/s";
      REQUIRE(::mkdir(spool.c_str(), 0755) == 0);
      if (row.symlink) {
        REQUIRE(::symlink("/tmp", (spool + "/hold").c_str()) == 0);
      } else {
        REQUIRE(testing::write_file(spool + "/hold", "x"));
      }
      auto r = create_spool_tree(spool, ::getuid(), ::getgid(), false);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().code == ENOTDIR);
      CHECK(r.error().message.find("hold") != std::string::npos);
    }
    TempSpool scratch;
    REQUIRE(testing::write_file(scratch.root() + "/file", "x"));
    auto r = create_spool_tree(scratch.root() + "/file", ::getuid(), ::getgid(), false);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ENOTDIR);
    auto orphan = create_spool_tree(scratch.root() + "/no/parent", ::getuid(), ::getgid(), false);
    REQUIRE_FALSE(orphan.has_value());
    CHECK(orphan.error().code == ENOENT);
  }

  TEST_CASE("as root, subdirectories get the tern owner, pid/ stays root's") {
    if (::geteuid() != 0) {
      MESSAGE("not root: ownership not tested");
      return;
    }
    TempSpool scratch;
    const std::string spool = scratch.root() + "/owned";
    const uid_t uid = 65534;
    const gid_t gid = 65534;
    REQUIRE(create_spool_tree(spool, uid, gid, true).has_value());
    for (const SpoolSubdir& sub : kSpoolSubdirs) {
      INFO("subdir: ", sub.name);
      struct stat st;
      REQUIRE(::lstat((spool + "/" + sub.name).c_str(), &st) == 0);
      CHECK(st.st_uid == (sub.owned_by_tern ? uid : 0));
      CHECK(st.st_gid == (sub.owned_by_tern ? gid : 0));
      CHECK((st.st_mode & 07777) == sub.mode);
    }
  }
}

}  // namespace
}  // namespace tern::spool

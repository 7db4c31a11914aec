// TERN_FDS parsing and formatting.
#include <doctest/doctest.h>

#include "common/process/inherited_fds.h"

using tern::process::NamedFd;
using tern::process::parse_inherited_fds;

TEST_SUITE("process.inherited_fds") {
  TEST_CASE("round trip") {
    std::vector<NamedFd> fds = {{"smtp", 3}, {"smtp", 4}, {"ipc", 5}, {"master", 6}};
    auto text = tern::process::format_inherited_fds(fds);
    CHECK(text == "smtp=3,smtp=4,ipc=5,master=6");
    auto parsed = parse_inherited_fds(text);
    REQUIRE(parsed);
    tern::process::InheritedFds inherited(*parsed);
    CHECK(inherited.with_role("smtp") == std::vector<int>{3, 4});
    CHECK(inherited.first("ipc") == 5);
    CHECK(inherited.first("none") == -1);
  }

  TEST_CASE("malformed values are errors") {
    struct Row { const char* text; };
    const Row rows[] = {{"smtp"}, {"=3"}, {"smtp=x"}, {"smtp=2"}, {"smtp=-1"}, {"smtp=3x"}};
    for (const auto& row : rows) {
      INFO("input: " << row.text);
      CHECK_FALSE(parse_inherited_fds(row.text));
    }
  }

  TEST_CASE("empty means none") {
    auto parsed = parse_inherited_fds("");
    REQUIRE(parsed);
    CHECK(parsed->empty());
  }
}

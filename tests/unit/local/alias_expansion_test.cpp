// Tests for alias expansion: lists, recursion, self-reference, cycles, includes, depth.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "local/alias_expansion.h"

namespace tern::local {
namespace {

using Aliases = std::map<std::string, std::vector<std::string>>;

AliasSource source_of(const Aliases& aliases, const std::map<std::string, std::string>& includes = {}) {
  AliasSource s;
  s.lookup = [&aliases](const std::string& name) -> std::optional<AliasHit> {
    auto it = aliases.find(name);
    if (it == aliases.end()) return std::nullopt;
    return AliasHit{it->second, UserIds{1000, 1000, "owner", "/home/owner"}};
  };
  s.read_include = [includes](const std::string& path, const UserIds&) -> Result<IncludeFile> {
    auto it = includes.find(path);
    if (it == includes.end()) return fail("no such file");
    return IncludeFile{it->second, UserIds{2000, 2000, "incowner", "/"}};
  };
  return s;
}

std::string describe(const Expansion& e) {
  std::string out;
  for (const auto& t : e.targets) {
    const char* kind = t.kind == TargetKind::kUser ? "user" : t.kind == TargetKind::kFile ? "file"
                     : t.kind == TargetKind::kCommand ? "cmd" : "addr";
    out += std::string(kind) + ":" + t.value + "(" + t.origin + "," + std::to_string(t.owner.uid) + ") ";
  }
  return out;
}

TEST_SUITE("local.alias_expansion") {
  TEST_CASE("expansion rows") {
    Aliases aliases = {
        {"postmaster", {"root"}},
        {"root", {"alice"}},
        {"team", {"alice", "bob", "carol@example.org", "|/bin/x a", "/var/log/team"}},
        {"self", {"self", "/tmp/self-copy"}},
        {"ping", {"pong"}},
        {"pong", {"ping"}},
        {"dup", {"alice", "Alice", "alice"}},
        {"esc", {"\\root"}},
        {"inc", {":include:/etc/list"}},
    };
    std::map<std::string, std::string> includes = {{"/etc/list", "# staff\ndave, erin\n\"|/bin/y\"\n"}};
    struct Row { const char* name; const char* want; };
    const Row rows[] = {
        {"alice", "user:alice(alias,0) "},
        {"postmaster", "user:alice(alias,0) "},
        {"TEAM", "user:alice(alias,0) user:bob(alias,0) addr:carol@example.org(alias,0) "
                 "cmd:/bin/x a(alias,1000) file:/var/log/team(alias,1000) "},
        {"self", "user:self(alias,0) file:/tmp/self-copy(alias,1000) "},
        {"ping", "user:ping(alias,0) "},
        {"dup", "user:alice(alias,0) "},
        {"esc", "user:root(alias,0) "},
        {"inc", "user:dave(alias,0) user:erin(alias,0) cmd:/bin/y(include,2000) "},
    };
    auto source = source_of(aliases, includes);
    for (const Row& row : rows) {
      INFO("row: ", row.name);
      Expansion e = expand_local(row.name, source);
      CHECK(e.status.delivered());
      CHECK(describe(e) == row.want);
    }
  }

  TEST_CASE("too deep a chain bounces 5.4.6; an unreadable include defers") {
    Aliases aliases;
    for (int i = 0; i < kMaxAliasDepth + 5; ++i) aliases["a" + std::to_string(i)] = {"a" + std::to_string(i + 1)};
    aliases["broken"] = {":include:/nonexistent"};
    auto source = source_of(aliases);
    Expansion deep = expand_local("a0", source);
    CHECK(deep.status.outcome == proto::RecipientResult::BOUNCED);
    CHECK(deep.status.dsn == "5.4.6");
    Expansion broken = expand_local("broken", source);
    CHECK(broken.status.outcome == proto::RecipientResult::DEFERRED);
  }

  TEST_CASE(".forward files replace a user; the user's own name keeps a copy") {
    Aliases aliases = {{"postmaster", {"ann"}}};
    std::map<std::string, std::string> forwards = {
        {"ann", "\\ann, bob\nann@elsewhere.example\n\"|/usr/bin/vacation ann\"\n"},
        {"bob", "# bob keeps his mail and tells carl\nbob, carl\n"},
        {"loop1", "loop2\n"},
        {"loop2", "loop1\n"},
        {"empty", "# nothing\n"},
    };
    auto source = source_of(aliases);
    source.read_forward = [&forwards](const std::string& user) -> Result<std::optional<IncludeFile>> {
      if (user == "broken") return fail("permission denied");
      auto it = forwards.find(user);
      if (it == forwards.end()) return std::optional<IncludeFile>();
      return std::optional<IncludeFile>(IncludeFile{it->second, UserIds{3000, 3000, user, "/home/" + user}});
    };
    CHECK(describe(expand_local("postmaster", source)) ==
          "user:ann(alias,0) user:bob(alias,0) user:carl(alias,0) addr:ann@elsewhere.example(forward,0) "
          "cmd:/usr/bin/vacation ann(forward,3000) ");
    // A forwarding cycle between two users ends at the mailbox of the first met again.
    CHECK(describe(expand_local("loop1", source)) == "user:loop1(alias,0) ");
    CHECK(describe(expand_local("empty", source)) == "user:empty(alias,0) ");
    Expansion broken = expand_local("broken", source);
    CHECK(broken.status.outcome == proto::RecipientResult::DEFERRED);
  }

  TEST_CASE("include text splitting") {
    auto got = split_include_text("a, b\n# comment\n  c  \n\"|/bin/x 1,2\", /f\n");
    CHECK(got == std::vector<std::string>{"a", "b", "c", "|/bin/x 1,2", "/f"});
  }
}

}  // namespace
}  // namespace tern::local

// Tests for split_command(): the argument vector of |command alias targets, with no shell.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "local/command_argv.h"

namespace tern::local {
namespace {

TEST_SUITE("local.command_argv") {
  TEST_CASE("words, quotes and escapes; nothing is expanded") {
    using V = std::vector<std::string>;
    struct Row { const char* name; const char* text; V want; };
    const Row rows[] = {
        {"simple", "/usr/bin/procmail -a x", V{"/usr/bin/procmail", "-a", "x"}},
        {"blanks", "  /bin/cat\t -n  ", V{"/bin/cat", "-n"}},
        {"single quotes", "/bin/x 'a b' 'c\"d'", V{"/bin/x", "a b", "c\"d"}},
        {"double quotes", "/bin/x \"a 'b' \\\"c\\\" \\\\ \\n\"", V{"/bin/x", "a 'b' \"c\" \\ \\n"}},
        {"joined", "/bin/x a'b c'd", V{"/bin/x", "ab cd"}},
        {"backslash", "/bin/x a\\ b", V{"/bin/x", "a b"}},
        {"shell syntax is text", "/bin/x $(id) `id` ; rm -rf / | y > z $HOME",
         V{"/bin/x", "$(id)", "`id`", ";", "rm", "-rf", "/", "|", "y", ">", "z", "$HOME"}},
        {"empty quoted word", "/bin/x ''", V{"/bin/x", ""}},
    };
    for (const Row& row : rows) {
      INFO("row: ", row.name);
      auto got = split_command(row.text);
      REQUIRE(got.has_value());
      CHECK(*got == row.want);
    }
  }

  TEST_CASE("malformed commands are errors") {
    for (const char* text : {"", "   ", "/bin/x 'open", "/bin/x \"open", "/bin/x \\"}) {
      INFO("text: ", text);
      CHECK_FALSE(split_command(text).has_value());
    }
  }
}

}  // namespace
}  // namespace tern::local

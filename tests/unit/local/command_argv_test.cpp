// Tests for command_argv() and split_command(): how |command targets become argument vectors.
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

  TEST_CASE("shell metacharacters run the command through /bin/sh -c, as in Postfix") {
    using V = std::vector<std::string>;
    CHECK(*command_argv("/usr/bin/procmail -a x") == V{"/usr/bin/procmail", "-a", "x"});
    CHECK(*command_argv("  /bin/cat\t -n  ") == V{"/bin/cat", "-n"});
    for (const char* text : {"cat >> /var/log/x", "/bin/x | y", "/bin/x 'a b'", "/bin/x $HOME", "/bin/x; y",
                             "/bin/x `id`", "/bin/x \"a\"", "a\nb", "x=1 /bin/y"}) {
      INFO("text: ", text);
      CHECK(*command_argv(text) == V{"/bin/sh", "-c", text});
    }
    CHECK_FALSE(command_argv("").has_value());
    CHECK_FALSE(command_argv(" \t ").has_value());
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

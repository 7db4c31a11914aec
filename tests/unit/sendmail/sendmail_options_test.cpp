// sendmail's command line, as scripts pass it to Postfix's and Exim's sendmail.
#include <doctest/doctest.h>

#include "ctl/commands/sendmail_options.h"

using tern::ctl::parse_sendmail_options;
using tern::ctl::SendmailMode;

TEST_SUITE("sendmail.options") {
  TEST_CASE("flags, values and recipients") {
    struct Row {
      const char* name;
      std::vector<std::string> args;
      SendmailMode mode;
      bool t, i;
      const char* sender;  // nullptr: none
      std::vector<std::string> recipients;
    };
    const Row rows[] = {
        {"plain", {"a@b"}, SendmailMode::kDeliver, false, false, nullptr, {"a@b"}},
        {"-t -i", {"-t", "-i"}, SendmailMode::kDeliver, true, true, nullptr, {}},
        {"combined -ti", {"-ti", "x"}, SendmailMode::kDeliver, true, true, nullptr, {"x"}},
        {"-oi", {"-oi", "x"}, SendmailMode::kDeliver, false, true, nullptr, {"x"}},
        {"-o i", {"-o", "i", "x"}, SendmailMode::kDeliver, false, true, nullptr, {"x"}},
        {"-f attached", {"-fme@x", "y"}, SendmailMode::kDeliver, false, false, "me@x", {"y"}},
        {"-f separate", {"-f", "me@x", "y"}, SendmailMode::kDeliver, false, false, "me@x", {"y"}},
        {"-r", {"-r", "<>", "y"}, SendmailMode::kDeliver, false, false, "<>", {"y"}},
        {"ignored", {"-odb", "-oem", "-em", "-L", "l", "-B", "8BITMIME", "-v", "-X", "f", "-h", "3", "-n", "-U",
                     "-m", "-G", "-Ox=y", "y"},
         SendmailMode::kDeliver, false, false, nullptr, {"y"}},
        {"--", {"-i", "--", "-notanoption"}, SendmailMode::kDeliver, false, true, nullptr, {"-notanoption"}},
        {"stops at first recipient", {"a", "-t"}, SendmailMode::kDeliver, false, false, nullptr, {"a", "-t"}},
        {"-bs", {"-bs"}, SendmailMode::kSmtp, false, false, nullptr, {}},
        {"-bp", {"-bp"}, SendmailMode::kList, false, false, nullptr, {}},
        {"-bi", {"-bi"}, SendmailMode::kAliases, false, false, nullptr, {}},
        {"-I", {"-I"}, SendmailMode::kAliases, false, false, nullptr, {}},
        {"-q", {"-q"}, SendmailMode::kFlush, false, false, nullptr, {}},
        {"-q15m does not eat the next word", {"-q15m", "-v"}, SendmailMode::kFlush, false, false, nullptr, {}},
    };
    for (const auto& row : rows) {
      INFO(row.name);
      auto o = parse_sendmail_options(row.args);
      REQUIRE(o.has_value());
      CHECK(o->mode == row.mode);
      CHECK(o->extract_recipients == row.t);
      CHECK(o->ignore_dots == row.i);
      CHECK(o->sender.has_value() == (row.sender != nullptr));
      if (row.sender) CHECK(*o->sender == row.sender);
      CHECK(o->recipients == row.recipients);
    }
  }

  TEST_CASE("DSN options") {
    auto o = parse_sendmail_options({"-N", "success,delay", "-R", "HDRS", "-V", "id1", "-F", "A B", "x"});
    REQUIRE(o.has_value());
    CHECK(o->notify == 5u);
    CHECK(o->ret == "HDRS");
    CHECK(o->envid == "id1");
    CHECK(*o->full_name == "A B");
    CHECK(parse_sendmail_options({"-N", "never"})->notify == 8u);
  }

  TEST_CASE("usage errors") {
    const std::vector<std::vector<std::string>> bad = {
        {"-Z"}, {"-f"}, {"-N", "sometimes"}, {"-N", "never,success"}, {"-R", "all"}, {"-bd"}, {"-bv"}, {"-tZ"}};
    for (const auto& args : bad) {
      INFO(args[0]);
      CHECK_FALSE(parse_sendmail_options(args).has_value());
    }
  }
}

// Tests for local's message transformations: trace headers, loop detection, mbox quoting.
#include <doctest/doctest.h>

#include <string>

#include "local/message.h"

namespace tern::local {
namespace {

TEST_SUITE("local.message") {
  TEST_CASE("trace headers are prepended, line ends made UNIX") {
    struct Row { const char* name; const char* message; const char* sender; const char* want; };
    const Row rows[] = {
        {"crlf", "Subject: x\r\n\r\nbody\r\n", "a@b", "Return-Path: <a@b>\nDelivered-To: u@t\nSubject: x\n\nbody\n"},
        {"null sender", "S: y\n\nb\n", "", "Return-Path: <>\nDelivered-To: u@t\nS: y\n\nb\n"},
        {"bare cr kept", "S: y\r\n\r\na\rb\r\n", "s@x", "Return-Path: <s@x>\nDelivered-To: u@t\nS: y\n\na\rb\n"},
    };
    for (const Row& row : rows) {
      INFO("row: ", row.name);
      CHECK(prepend_trace_headers(to_unix_line_ends(row.message), row.sender, "u@t") == row.want);
    }
  }

  TEST_CASE("loop detection looks for Delivered-To: of this recipient in the header only") {
    struct Row { const char* name; const char* message; bool want; };
    const Row rows[] = {
        {"same", "Delivered-To: u@t\nSubject: x\n\nbody\n", true},
        {"case and brackets", "delivered-to:  <U@T>\r\n\r\n", true},
        {"folded", "Delivered-To:\n   u@t\n\n", true},
        {"last header", "Subject: x\nDelivered-To: u@t", true},
        {"other recipient", "Delivered-To: v@t\n\nbody\n", false},
        {"in the body", "Subject: x\n\nDelivered-To: u@t\n", false},
        {"prefix only", "Delivered-To: u@tt\n\n", false},
        {"other header", "X-Delivered-To: u@t\n\n", false},
    };
    for (const Row& row : rows) {
      INFO("row: ", row.name);
      CHECK(has_delivered_to(row.message, "u@t") == row.want);
    }
  }

  TEST_CASE("mbox quoting is mboxrd and ends with an empty line") {
    struct Row { const char* name; const char* message; const char* want; };
    const Row rows[] = {
        {"plain", "S: x\n\nhi\n", "S: x\n\nhi\n\n"},
        {"from line", "S: x\n\nFrom me\nFromage\n", "S: x\n\n>From me\nFromage\n\n"},
        {"quoted from", ">From a\n>>From b\n> From c\n", ">>From a\n>>>From b\n> From c\n\n"},
        {"no final newline", "S: x\n\nlast", "S: x\n\nlast\n\n"},
        {"first line", "From x\n", ">From x\n\n"},
    };
    for (const Row& row : rows) {
      INFO("row: ", row.name);
      CHECK(mbox_quote(row.message) == row.want);
    }
  }

  TEST_CASE("the mbox From line names the sender, MAILER-DAEMON for <>") {
    CHECK(mbox_from_line("a@b", 0) == "From a@b Thu Jan  1 00:00:00 1970\n");
    CHECK(mbox_from_line("", 86400 * 365) == "From MAILER-DAEMON Fri Jan  1 00:00:00 1971\n");
  }
}

}  // namespace
}  // namespace tern::local

// smtp.body: the DATA decoder (dot-stuffing, the end marker, smuggling payloads) at every
// split point, and the BDAT bare-newline scanner.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>

#include "common/smtp/body.h"

namespace tern::smtp {
namespace {

struct Outcome {
  bool done = false;
  std::string body;
  std::string rest;  // input after the end of data
  bool bare = false;
};

Outcome decode(std::string_view input, size_t split, uint64_t limit = 1 << 20) {
  DataDecoder d(limit, 1000);
  Outcome o;
  std::string_view parts[2] = {input.substr(0, split), input.substr(split)};
  for (std::string_view part : parts) {
    if (o.done) {
      o.rest.append(part);
      continue;
    }
    size_t used = d.feed(part, &o.body);
    o.done = d.done();
    if (o.done) o.rest.append(part.substr(used));
  }
  o.bare = d.bare_newline();
  return o;
}

struct Row {
  const char* name;
  std::string input;
  bool done;
  std::string body;
  std::string rest;
  bool bare;
};

const Row kRows[] = {
    {"simple", "a\r\n.\r\n", true, "a\r\n", "", false},
    {"empty message", ".\r\n", true, "", "", false},
    {"dot-stuffed", "..a\r\n.\r\nQUIT\r\n", true, ".a\r\n", "QUIT\r\n", false},
    {"pipelined after end", "x\r\n.\r\nMAIL FROM:<a@b>\r\n", true, "x\r\n", "MAIL FROM:<a@b>\r\n", false},
    {"smuggle LF.LF", "a\n.\nMAIL FROM:<e@v>\r\n", false, "a\n.\nMAIL FROM:<e@v>\r\n", "", true},
    {"smuggle CR.CR", "a\r.\rMAIL\r\n", false, "a\r.\rMAIL\r\n", "", true},
    {"smuggle LF.CRLF", "a\n.\r\nMAIL\r\n", false, "a\n.\r\nMAIL\r\n", "", true},
    {"smuggle CRLF.CR", "a\r\n.\rMAIL\r\n", false, "a\r\n\rMAIL\r\n", "", true},
    {"bare LF then real end", "a\nb\r\n.\r\n", true, "a\nb\r\n", "", true},
    {"dot line not end", "a\r\n.x\r\n.\r\n", true, "a\r\nx\r\n", "", false},
};

TEST_SUITE("smtp.body") {
  TEST_CASE("DataDecoder at every split point") {
    for (const Row& row : kRows) {
      for (size_t split = 0; split <= row.input.size(); ++split) {
        INFO(row.name << " split at " << split);
        Outcome o = decode(row.input, split);
        CHECK(o.done == row.done);
        CHECK(o.body == row.body);
        CHECK(o.rest == row.rest);
        CHECK(o.bare == row.bare);
      }
    }
  }

  TEST_CASE("size limit: consumed but not returned") {
    DataDecoder d(4, 1000);
    std::string out;
    d.feed("abcdefgh\r\n.\r\n", &out);
    CHECK(d.done());
    CHECK(d.too_big());
    CHECK(out == "abcd");
  }

  TEST_CASE("line limit") {
    DataDecoder d(1000, 4);
    std::string out;
    d.feed("abcde\r\n.\r\n", &out);
    CHECK(d.line_too_long());
  }

  TEST_CASE("DataDecoder: whole input and one byte at a time agree") {
    // Fed a byte at a time the decoder never copies a run of several bytes; fed the whole
    // input it does. Inputs from a small alphabet hit every state, with limits mid-run.
    uint32_t seed = 12345;
    auto next = [&seed] {
      seed = seed * 1103515245u + 12345u;
      return (seed >> 16) & 0x7fffu;
    };
    const char alphabet[] = {'a', 'b', '.', '\r', '\n', '\r', '\n'};
    for (int round = 0; round < 3000; ++round) {
      std::string input;
      size_t length = next() % 40;
      for (size_t k = 0; k < length; ++k) {
        input.push_back(next() % 3 == 0 ? alphabet[next() % 7] : 'x');
      }
      if (round % 2 == 0) input += "\r\n.\r\nREST";
      uint64_t size_limit = next() % 30;
      size_t line_limit = next() % 12;
      DataDecoder whole(size_limit, line_limit), bytewise(size_limit, line_limit);
      std::string whole_out, bytewise_out;
      size_t whole_used = whole.feed(input, &whole_out);
      size_t bytewise_used = 0;
      while (bytewise_used < input.size() && !bytewise.done()) {
        bytewise_used += bytewise.feed(std::string_view(input).substr(bytewise_used, 1), &bytewise_out);
      }
      INFO("input: " << input << " limits " << size_limit << "/" << line_limit);
      CHECK(whole_used == bytewise_used);
      CHECK(whole_out == bytewise_out);
      CHECK(whole.done() == bytewise.done());
      CHECK(whole.bare_newline() == bytewise.bare_newline());
      CHECK(whole.too_big() == bytewise.too_big());
      CHECK(whole.line_too_long() == bytewise.line_too_long());
      CHECK(whole.size() == bytewise.size());
    }
  }

  TEST_CASE("DataDecoder: lines of bare LFs in one piece take linear time") {
    // 4 MiB of "a\n": two million runs. Were each run's end looked for from scratch to the
    // end of the input, this would scan 4 TiB and far exceed the test's time limit.
    std::string input;
    for (int k = 0; k < 2 * 1024 * 1024; ++k) input += "a\n";
    DataDecoder d(8 << 20, 1000);
    std::string out;
    CHECK(d.feed(input, &out) == input.size());
    CHECK(out == input);
    CHECK(d.bare_newline());
    CHECK_FALSE(d.done());
  }

  TEST_CASE("BareNewlineScanner") {
    struct R { const char* name; std::string chunk; bool bare; };
    const R rows[] = {{"clean", "a\r\nb\r\n", false}, {"LF", "a\nb", true}, {"CR", "a\rb", true},
                      {"trailing CR", "a\r", true}, {"CRCRLF", "a\r\r\n", true}};
    for (const R& r : rows) {
      INFO(r.name);
      for (size_t split = 0; split <= r.chunk.size(); ++split) {
        BareNewlineScanner s(1000);
        s.scan(std::string_view(r.chunk).substr(0, split));
        s.scan(std::string_view(r.chunk).substr(split));
        s.finish();
        CHECK(s.bare_newline() == r.bare);
      }
    }
  }
}

}  // namespace
}  // namespace tern::smtp

// Tests for common/config/values.h: time, count, boolean and list readings.
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/config/values.h"

namespace tern::config {
namespace {

// want_error "" means the text parses to want.
struct NumberCase {
  std::string_view name;
  std::string_view input;
  int64_t want;
  std::string_view want_error;
};

TEST_SUITE("config.values") {
  TEST_CASE("parse_time: units, default unit, errors") {
    const char* kWant = "want a number with an optional unit s, m, h, d or w";
    struct Case {
      std::string_view name;
      std::string_view input;
      char default_unit;
      int64_t want;
      std::string_view want_error;
    };
    const Case cases[] = {
        {"seconds", "30s", 'd', 30, ""},
        {"minutes", "5m", 's', 300, ""},
        {"hours", "4h", 's', 4 * 3600, ""},
        {"days", "5d", 's', 5 * 86400, ""},
        {"weeks", "1w", 's', 7 * 86400, ""},
        {"zero", "0h", 's', 0, ""},
        {"bare number takes seconds", "300", 's', 300, ""},
        {"bare number takes days", "5", 'd', 5 * 86400, ""},
        {"bare number takes hours", "2", 'h', 7200, ""},
        {"largest", "9223372036854775807s", 's', 9223372036854775807LL, ""},
        {"empty", "", 's', 0, kWant},
        {"unit alone", "s", 's', 0, kWant},
        {"unknown unit", "5x", 's', 0, kWant},
        {"upper-case unit", "5M", 's', 0, kWant},
        {"two units", "5ms", 's', 0, kWant},
        {"space before unit", "5 s", 's', 0, kWant},
        {"fraction", "1.5h", 's', 0, kWant},
        {"plus sign", "+5s", 's', 0, kWant},
        {"negative", "-5s", 's', 0, "must not be negative"},
        {"negative bare", "-1", 'd', 0, "must not be negative"},
        {"too many digits", "99999999999999999999", 's', 0, "too large"},
        {"too large after the unit", "9223372036854775807w", 's', 0, "too large"},
        {"too large after the default unit", "9223372036854775807", 'm', 0, "too large"},
    };
    for (const Case& c : cases) {
      INFO(c.name, ": \"", c.input, "\"");
      Result<int64_t> got = parse_time(c.input, c.default_unit);
      if (c.want_error.empty()) {
        REQUIRE(got.has_value());
        CHECK(*got == c.want);
      } else {
        REQUIRE_FALSE(got.has_value());
        CHECK(got.error().message == c.want_error);
      }
    }
  }

  TEST_CASE("parse_count: plain non-negative integers only") {
    const char* kWant = "want a non-negative integer";
    const NumberCase cases[] = {
        {"zero", "0", 0, ""},
        {"size", "10240000", 10240000, ""},
        {"leading zeros", "007", 7, ""},
        {"largest", "9223372036854775807", 9223372036854775807LL, ""},
        {"empty", "", 0, kWant},
        {"suffix", "10M", 0, kWant},
        {"unit", "10s", 0, kWant},
        {"inner space", "10 000", 0, kWant},
        {"word", "many", 0, kWant},
        {"negative", "-1", 0, "must not be negative"},
        {"overflow", "9223372036854775808", 0, "too large"},
        {"far overflow", "123456789012345678901234567890", 0, "too large"},
    };
    for (const NumberCase& c : cases) {
      INFO(c.name, ": \"", c.input, "\"");
      Result<int64_t> got = parse_count(c.input);
      if (c.want_error.empty()) {
        REQUIRE(got.has_value());
        CHECK(*got == c.want);
      } else {
        REQUIRE_FALSE(got.has_value());
        CHECK(got.error().message == c.want_error);
      }
    }
  }

  TEST_CASE("parse_bool: yes/no and true/false in any case") {
    struct Case {
      std::string_view input;
      int want;  // 1 yes, 0 no, -1 error
    };
    const Case cases[] = {
        {"yes", 1}, {"YES", 1}, {"Yes", 1}, {"true", 1}, {"TRUE", 1},
        {"no", 0},  {"NO", 0},  {"No", 0},  {"false", 0}, {"False", 0},
        {"", -1},   {"y", -1},  {"1", -1},  {"0", -1},   {"on", -1}, {"maybe", -1}, {"yess", -1},
    };
    for (const Case& c : cases) {
      INFO("\"", c.input, "\"");
      Result<bool> got = parse_bool(c.input);
      if (c.want < 0) {
        REQUIRE_FALSE(got.has_value());
        CHECK(got.error().message == "want yes or no");
      } else {
        REQUIRE(got.has_value());
        CHECK(*got == (c.want == 1));
      }
    }
  }

  TEST_CASE("split_list: white space and commas separate, empty items dropped") {
    struct Case {
      std::string_view name;
      std::string_view input;
      std::vector<std::string> want;
    };
    const Case cases[] = {
        {"empty", "", {}},
        {"separators only", " , ,\t", {}},
        {"one", "a", {"a"}},
        {"commas", "a,b,c", {"a", "b", "c"}},
        {"comma and space", "a, b, c", {"a", "b", "c"}},
        {"spaces", "a  b\tc", {"a", "b", "c"}},
        {"empty items", "a,,b , ,c,", {"a", "b", "c"}},
        {"surrounding space", "  a b  ", {"a", "b"}},
        {"line breaks", "a\r\nb\nc", {"a", "b", "c"}},
        {"table names", "hash:/etc/aliases, texthash:/etc/tern/virtual",
         {"hash:/etc/aliases", "texthash:/etc/tern/virtual"}},
    };
    for (const Case& c : cases) {
      INFO(c.name);
      CHECK(split_list(c.input) == c.want);
    }
  }

  TEST_CASE("trim") {
    CHECK(trim("") == "");
    CHECK(trim(" \t\r\n") == "");
    CHECK(trim("  a b \r") == "a b");
    CHECK(trim("a") == "a");
  }

  TEST_CASE("seconds_per_unit") {
    CHECK(seconds_per_unit('s') == 1);
    CHECK(seconds_per_unit('m') == 60);
    CHECK(seconds_per_unit('h') == 3600);
    CHECK(seconds_per_unit('d') == 86400);
    CHECK(seconds_per_unit('w') == 604800);
    CHECK(seconds_per_unit('y') == 0);
    CHECK(seconds_per_unit('\0') == 0);
  }
}

}  // namespace
}  // namespace tern::config

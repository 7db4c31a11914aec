// Values: time, count, boolean and list readings of a parameter value (see values.h).
#include "common/config/values.h"

#include <cctype>
#include <limits>

namespace tern::config {
namespace {

constexpr std::string_view kSpace = " \t\r\n";
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The leading digits of text as a number; *used is how many characters they took.
Result<int64_t> leading_number(std::string_view text, size_t* used, const char* want) {
  if (!text.empty() && text[0] == '-' && text.size() > 1 && is_digit(text[1]))
    return fail("must not be negative");
  size_t i = 0;
  int64_t n = 0;
  for (; i < text.size() && is_digit(text[i]); ++i) {
    int digit = text[i] - '0';
    if (n > (kMax - digit) / 10) return fail("too large");
    n = n * 10 + digit;
  }
  if (i == 0) return fail(want);
  *used = i;
  return n;
}

bool equals_nocase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
  return true;
}

}  // namespace

int64_t seconds_per_unit(char unit) {
  switch (unit) {
    case 's': return 1;
    case 'm': return 60;
    case 'h': return 3600;
    case 'd': return 86400;
    case 'w': return 7 * 86400;
    default: return 0;
  }
}

Result<int64_t> parse_time(std::string_view text, char default_unit) {
  static const char* kWant = "want a number with an optional unit s, m, h, d or w";
  size_t used = 0;
  Result<int64_t> n = leading_number(text, &used, kWant);
  if (!n) return n;
  char unit = default_unit;
  if (used < text.size()) {
    if (used + 1 != text.size()) return fail(kWant);
    unit = text[used];
  }
  int64_t scale = seconds_per_unit(unit);
  if (scale == 0) return fail(kWant);
  if (*n > kMax / scale) return fail("too large");
  return *n * scale;
}

Result<int64_t> parse_count(std::string_view text) {
  static const char* kWant = "want a non-negative integer";
  size_t used = 0;
  Result<int64_t> n = leading_number(text, &used, kWant);
  if (n && used != text.size()) return fail(kWant);
  return n;
}

Result<bool> parse_bool(std::string_view text) {
  if (equals_nocase(text, "yes") || equals_nocase(text, "true")) return true;
  if (equals_nocase(text, "no") || equals_nocase(text, "false")) return false;
  return fail("want yes or no");
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> items;
  constexpr std::string_view kSeparators = " \t\r\n,";
  size_t i = text.find_first_not_of(kSeparators);
  while (i != std::string_view::npos) {
    size_t end = text.find_first_of(kSeparators, i);
    items.emplace_back(text.substr(i, end == std::string_view::npos ? end : end - i));
    i = text.find_first_not_of(kSeparators, end);
  }
  return items;
}

std::string_view trim(std::string_view text) {
  size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  size_t last = text.find_last_not_of(kSpace);
  return text.substr(first, last - first + 1);
}

}  // namespace tern::config

// Values: the typed readings of an expanded parameter value, as Postfix reads them.
//   time     "30s", "5m", "4h", "5d", "1w"; a bare number takes the parameter's default unit
//   integer  a plain non-negative decimal (sizes are bytes, as in Postfix: no "10M")
//   boolean  yes/no or true/false, any case
//   list     items separated by white space and/or commas
// Errors are the "why" part of a config message ("want yes or no"); the caller adds
// "file:line: name: invalid value ...". Pure functions, no state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace tern::config {

// Seconds in one unit ('s', 'm', 'h', 'd', 'w'), or 0 for anything else.
int64_t seconds_per_unit(char unit);
// "5m" -> 300; "5" with default_unit 'm' -> 300.
Result<int64_t> parse_time(std::string_view text, char default_unit);
// "10240000" -> 10240000; no sign, no suffix.
Result<int64_t> parse_count(std::string_view text);
Result<bool> parse_bool(std::string_view text);
// "a, b  c,,d" -> {"a", "b", "c", "d"}.
std::vector<std::string> split_list(std::string_view text);
// Without leading and trailing spaces, tabs, CR and LF.
std::string_view trim(std::string_view text);

}  // namespace tern::config

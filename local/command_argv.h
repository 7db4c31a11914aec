// split_command(): the argument vector of an alias `|command` target, taken from the aliases
// file text alone. Words are separated by blanks; '...' keeps everything literally, "..."
// keeps everything but lets \" and \\ escape; a backslash outside quotes takes the next
// character literally. Nothing else is special: no $ expansion, no backticks, no globbing,
// no redirection -- there is no shell. Pure; no I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace tern::local {

// Fails on an empty command, an unterminated quote or a trailing backslash.
Result<std::vector<std::string>> split_command(std::string_view text);

}  // namespace tern::local

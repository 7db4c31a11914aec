// command_argv(): the argument vector of a `|command` target (aliases, .forward, :include:),
// as Postfix's local(8) runs it: a command with shell metacharacters (any of
// ~`!$^&*()=|\[]{};'"<>? or a line break) runs as `/bin/sh -c COMMAND`, so that redirection
// and pipelines work ("|cat >> /var/log/x"); any other is split on blanks and run directly.
// The text comes from the aliases or .forward file only; the message's sender, recipient and
// so on reach the command in its environment, never in this text.
//
// split_command(): words separated by blanks; '...' keeps everything literally, "..." keeps
// everything but lets \" and \\ escape; a backslash outside quotes takes the next character
// literally. Nothing else is special. Pure; no I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace tern::local {

// Fails on an empty command, an unterminated quote or a trailing backslash.
Result<std::vector<std::string>> split_command(std::string_view text);

// Fails on an empty command.
Result<std::vector<std::string>> command_argv(std::string_view text);

}  // namespace tern::local

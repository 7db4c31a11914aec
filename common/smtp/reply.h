// SMTP replies (RFC 5321 §4.2, RFC 3463 enhanced status codes): formatting single and
// multi-line replies. Every reply Tern sends carries an enhanced status code.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tern::smtp {

// "250 2.0.0 Ok\r\n". enhanced may be empty (the greeting, EHLO lines).
std::string format_reply(int code, std::string_view enhanced, std::string_view text);
// "250-first\r\n250-...\r\n250 last\r\n"; each line prefixed by enhanced when non-empty.
std::string format_multiline(int code, std::string_view enhanced, const std::vector<std::string>& lines);

}  // namespace tern::smtp

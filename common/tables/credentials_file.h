// The SMTP AUTH credentials file (sasl_password_file): one "username:HASH" per line, HASH
// being a libsodium crypto_pwhash_str() string ("$argon2id$v=19$m=...,t=...,p=...$salt$hash").
// Blank lines and '#' comments are ignored. Written only by `ternctl passwd`, read only by
// lookup. Pure text functions; no I/O, no hashing.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace tern::tables {

// A user name that fits the format: not empty, at most 256 bytes, no ':', no white space or
// control characters.
bool valid_username(std::string_view user);

// user -> hash. Bad lines (and later duplicates) go to *errors as "file:line: why".
std::map<std::string, std::string, std::less<>> parse_credentials(
    std::string_view text, std::string_view filename, std::vector<std::string>* errors);

// The file's text with user's line replaced by "user:hash" (appended when there is none);
// every other line is kept as it was.
Result<std::string> replace_credential(std::string_view text, std::string_view user,
                                       std::string_view hash);

}  // namespace tern::tables

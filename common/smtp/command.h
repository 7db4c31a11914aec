// SMTP command lines (RFC 5321 §4.1): the verb, and the arguments of MAIL FROM / RCPT TO
// (path plus ESMTP parameters) and BDAT. Pure code; a line arrives without its CRLF.
// Errors are texts for a 501 5.5.4 / 501 5.5.2 reply.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/smtp/address.h"

namespace tern::smtp {

enum class Verb {
  kEhlo, kHelo, kMail, kRcpt, kData, kBdat, kRset, kNoop, kQuit, kVrfy, kExpn, kHelp,
  kStarttls, kAuth, kUnknown,
};

struct Command {
  Verb verb = Verb::kUnknown;
  std::string_view name;   // the verb as sent
  std::string_view args;   // after the verb and one space; trailing white space removed
};

// Splits a line into verb and arguments. Verbs are case-insensitive.
Command parse_command(std::string_view line);

struct EsmtpParam {
  std::string keyword;  // upper-cased
  std::string value;    // as sent; empty when there was no '='
  bool has_value = false;
};

struct PathCommand {
  Path path;
  std::vector<EsmtpParam> params;
};

// "FROM:<path> params" (prefix "FROM:") or "TO:<path> params" (prefix "TO:").
Result<PathCommand> parse_path_command(std::string_view args, std::string_view prefix, PathKind kind,
                                       const PathOptions& options);

struct BdatArgs {
  uint64_t size = 0;
  bool last = false;
};
Result<BdatArgs> parse_bdat(std::string_view args);

// RFC 3461 xtext: printable ASCII except '+' and '=', with "+XX" hex escapes.
bool is_valid_xtext(std::string_view text);
Result<std::string> decode_xtext(std::string_view text);

// NOTIFY=NEVER | SUCCESS,FAILURE,DELAY -> bit set (1 SUCCESS, 2 FAILURE, 4 DELAY, 8 NEVER).
Result<uint32_t> parse_notify(std::string_view value);

}  // namespace tern::smtp

// SMTP command-line parsing (see command.h).
#include "common/smtp/command.h"

#include <cctype>
#include <utility>

namespace tern::smtp {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && upper(a) == upper(b);
}

constexpr std::pair<std::string_view, Verb> kVerbs[] = {
    {"EHLO", Verb::kEhlo}, {"HELO", Verb::kHelo}, {"MAIL", Verb::kMail}, {"RCPT", Verb::kRcpt},
    {"DATA", Verb::kData}, {"BDAT", Verb::kBdat}, {"RSET", Verb::kRset}, {"NOOP", Verb::kNoop},
    {"QUIT", Verb::kQuit}, {"VRFY", Verb::kVrfy}, {"EXPN", Verb::kExpn}, {"HELP", Verb::kHelp},
    {"STARTTLS", Verb::kStarttls}, {"AUTH", Verb::kAuth},
};

bool is_keyword(std::string_view k) {
  if (k.empty() || !std::isalnum(static_cast<unsigned char>(k[0]))) return false;
  for (unsigned char c : k) {
    if (!std::isalnum(c) && c != '-') return false;
  }
  return true;
}

bool is_value(std::string_view v, bool utf8) {
  if (v.empty()) return false;
  for (unsigned char c : v) {
    if (c >= 0x80) {
      if (!utf8) return false;
    } else if (c < 33 || c > 126 || c == '=') {
      return false;
    }
  }
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;  // RFC 3461: upper-case hex only
}

}  // namespace

Command parse_command(std::string_view line) {
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  Command command;
  size_t space = line.find(' ');
  command.name = line.substr(0, space);
  if (space != std::string_view::npos) command.args = line.substr(space + 1);
  for (const auto& [name, verb] : kVerbs) {
    if (iequals(command.name, name)) command.verb = verb;
  }
  return command;
}

Result<PathCommand> parse_path_command(std::string_view args, std::string_view prefix, PathKind kind,
                                       const PathOptions& options) {
  if (args.size() < prefix.size() || !iequals(args.substr(0, prefix.size()), prefix))
    return fail("Syntax: " + std::string(kind == PathKind::kReverse ? "MAIL FROM:<address>" : "RCPT TO:<address>"));
  args.remove_prefix(prefix.size());
  while (!args.empty() && args[0] == ' ') args.remove_prefix(1);  // tolerated, as Postfix does
  PathCommand out;
  size_t consumed = 0;
  auto path = parse_path(args, kind, options, &consumed);
  if (!path) return std::unexpected(path.error());
  out.path = std::move(*path);
  args.remove_prefix(consumed);
  while (!args.empty()) {
    if (args[0] != ' ') return fail("Syntax error in parameters");
    while (!args.empty() && args[0] == ' ') args.remove_prefix(1);
    if (args.empty()) break;
    size_t end = args.find(' ');
    std::string_view param = args.substr(0, end);
    args.remove_prefix(end == std::string_view::npos ? args.size() : end);
    size_t eq = param.find('=');
    EsmtpParam p;
    std::string_view keyword = param.substr(0, eq);
    if (!is_keyword(keyword)) return fail("Bad parameter keyword");
    p.keyword = upper(keyword);
    if (eq != std::string_view::npos) {
      std::string_view value = param.substr(eq + 1);
      if (!is_value(value, options.allow_utf8)) return fail("Bad parameter value for " + p.keyword);
      p.value = std::string(value);
      p.has_value = true;
    }
    out.params.push_back(std::move(p));
  }
  return out;
}

Result<BdatArgs> parse_bdat(std::string_view args) {
  BdatArgs out;
  size_t space = args.find(' ');
  std::string_view size = args.substr(0, space);
  if (size.empty() || size.size() > 15) return fail("Syntax: BDAT size [LAST]");
  for (char c : size) {
    if (c < '0' || c > '9') return fail("Syntax: BDAT size [LAST]");
    out.size = out.size * 10 + static_cast<uint64_t>(c - '0');
  }
  if (space != std::string_view::npos) {
    std::string_view rest = args.substr(space + 1);
    if (!iequals(rest, "LAST")) return fail("Syntax: BDAT size [LAST]");
    out.last = true;
  }
  return out;
}

bool is_valid_xtext(std::string_view text) { return decode_xtext(text).has_value(); }

Result<std::string> decode_xtext(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '+') {
      if (i + 2 >= text.size()) return fail("bad xtext escape");
      int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return fail("bad xtext escape");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c < 33 || c > 126 || c == '=') {
      return fail("bad xtext character");
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

Result<uint32_t> parse_notify(std::string_view value) {
  uint32_t bits = 0;
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    std::string item = upper(value.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (item == "NEVER") bits |= 8;
    else if (item == "SUCCESS") bits |= 1;
    else if (item == "FAILURE") bits |= 2;
    else if (item == "DELAY") bits |= 4;
    else return fail("Bad NOTIFY parameter");
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if ((bits & 8) && bits != 8) return fail("NOTIFY=NEVER cannot be combined");
  return bits;
}

}  // namespace tern::smtp

// sendmail option parsing (see sendmail_options.h).
#include "ctl/commands/sendmail_options.h"

#include <cctype>
#include <cstring>

namespace tern::ctl {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Options that take a value (attached, "-fuser", or the next argument, "-f user").
bool takes_value(char c) { return std::strchr("ABCFLMNORVXbefhopqr", c) != nullptr; }

// -q takes an optional attached value only ("-q", "-q15m", "-qRsite"): never the next word.
bool optional_value(char c) { return c == 'q'; }

Result<void> apply(SendmailOptions& o, char c, const std::string& value) {
  switch (c) {
    case 't': o.extract_recipients = true; return {};
    case 'i': o.ignore_dots = true; return {};
    case 'v': o.verbose = true; return {};
    case 'I': o.mode = SendmailMode::kAliases; return {};
    case 'm': case 'n': case 'G': case 'U': case 'c': return {};
    case 'f': case 'r': o.sender = value; return {};
    case 'F': o.full_name = value; return {};
    case 'C': o.config = value; return {};
    case 'q': o.mode = SendmailMode::kFlush; return {};
    case 'N': {
      auto bits = parse_dsn_notify(value);
      if (!bits) return std::unexpected(bits.error());
      o.notify = *bits;
      return {};
    }
    case 'R': {
      std::string v = lower(value);
      if (v != "full" && v != "hdrs") return fail("-R takes full or hdrs, not '" + value + "'");
      o.ret = v == "full" ? "FULL" : "HDRS";
      return {};
    }
    case 'V': o.envid = value; return {};
    case 'o':
      if (value == "i") o.ignore_dots = true;  // -oi; every other -oX (odb, oem, ...) is ignored
      return {};
    case 'b':
      if (value == "m") o.mode = SendmailMode::kDeliver;
      else if (value == "s") o.mode = SendmailMode::kSmtp;
      else if (value == "p") o.mode = SendmailMode::kList;
      else if (value == "i") o.mode = SendmailMode::kAliases;
      else if (value == "d" || value == "D") return fail("-b" + value + " is not supported: start Tern with 'ternctl start'");
      else return fail("-b" + value + " is not supported");
      return {};
    case 'A': case 'B': case 'L': case 'M': case 'O': case 'X': case 'e': case 'h': case 'p':
      return {};  // accepted for compatibility, no effect
    default:
      return fail(std::string("unknown option -") + c);
  }
}

}  // namespace

Result<uint32_t> parse_dsn_notify(const std::string& value) {
  uint32_t bits = 0;
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    std::string word = lower(value.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (word == "never") bits |= 8;
    else if (word == "success") bits |= 1;
    else if (word == "failure") bits |= 2;
    else if (word == "delay") bits |= 4;
    else return fail("-N takes never or a list of success, delay, failure; not '" + value + "'");
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if ((bits & 8) && bits != 8) return fail("-N never cannot be combined with other values");
  return bits;
}

Result<SendmailOptions> parse_sendmail_options(const std::vector<std::string>& args) {
  SendmailOptions o;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') break;
    for (size_t k = 1; k < arg.size(); ++k) {
      char c = arg[k];
      std::string value;
      if (optional_value(c)) {
        value = arg.substr(k + 1);
        k = arg.size();
      } else if (takes_value(c)) {
        if (k + 1 < arg.size()) {
          value = arg.substr(k + 1);
        } else if (i + 1 < args.size()) {
          value = args[++i];
        } else {
          return fail(std::string("option -") + c + " requires a value");
        }
        k = arg.size();
      }
      if (auto ok = apply(o, c, value); !ok) return std::unexpected(ok.error());
    }
  }
  o.recipients.assign(args.begin() + static_cast<long>(i), args.end());
  return o;
}

}  // namespace tern::ctl

// sendmail command-line options, as scripts pass them to Postfix's and Exim's sendmail.
// Pure: argv in, a SendmailOptions (or a usage error) out; no I/O.
//
// Honoured: recipients as arguments, -t, -i / -oi, -f / -r sender, -F full name, -bm (the
// default), -bs, -bp, -bi / -I, -q[...], -C config, -N dsn, -R ret, -V envid, -v, --.
// Accepted and ignored (as Postfix does): -oX..., -o X, -B type, -L label, -X file, -h N,
// -p proto, -e X, -odX, -oeX, -m, -n, -G, -U, -A x, -O x, -M x.
// Options may be combined ("-ti", "-fuser", "-oi") in getopt style; parsing stops at the
// first non-option or "--". Errors (unknown option, missing value, a -N/-R value that is not
// valid) come back as Result errors for a 64 (EX_USAGE) exit.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace tern::ctl {

enum class SendmailMode {
  kDeliver,     // -bm: read a message on stdin (the default)
  kSmtp,        // -bs: SMTP on stdin/stdout
  kList,        // -bp: mailq
  kAliases,     // -bi, -I: newaliases
  kFlush,       // -q: ternctl queue flush
};

struct SendmailOptions {
  SendmailMode mode = SendmailMode::kDeliver;
  bool extract_recipients = false;       // -t
  bool ignore_dots = false;              // -i, -oi
  bool verbose = false;                  // -v
  std::optional<std::string> sender;     // -f / -r, as given
  std::optional<std::string> full_name;  // -F
  std::optional<std::string> config;     // -C: main.cf-style file or its directory
  uint32_t notify = 0;                   // -N: bits as proto::Recipient.notify
  std::string ret;                       // -R: "FULL", "HDRS" or empty
  std::string envid;                     // -V, as given (xtext-encoded on the wire)
  std::vector<std::string> recipients;   // arguments after the options
};

Result<SendmailOptions> parse_sendmail_options(const std::vector<std::string>& args);

// -N value ("never", "success,delay,failure", Postfix also takes "delay,failure") -> bits.
Result<uint32_t> parse_dsn_notify(const std::string& value);

}  // namespace tern::ctl

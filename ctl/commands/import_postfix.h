// Import Postfix: turns a Postfix main.cf (and master.cf) into a tern.conf, for
// `ternctl import-postfix`. Comments, blank lines, continuation lines and $macros are kept
// as written. A setting Tern understands is carried over; one it does not is kept as a
// comment, preceded by "# import-postfix: not carried over: <reason>". Postfix-only
// concepts with a Tern equivalent are mapped (inet_interfaces + master.cf -> smtp_listen,
// submission_listen, smtps_listen; myorigin = /etc/mailname -> the name in that file).
// The result always loads without errors (Config::parse); a value Tern refuses is
// commented out with Tern's reason. Pure apart from the read_file callback.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace tern::ctl {

struct PostfixFiles {
  std::string main_cf_path;                 // named in the output's header
  std::string main_cf;                      // its text
  std::optional<std::string> master_cf;     // master.cf beside it, if there is one
  // Reads a file main.cf names (myorigin = /etc/mailname); nullopt when unreadable.
  std::function<std::optional<std::string>(const std::string& path)> read_file;
};

std::string import_postfix(const PostfixFiles& files);

}  // namespace tern::ctl

// Postfix listeners: what Postfix listens on, from main.cf's inet_interfaces and
// inet_protocols and master.cf's inet services, as Tern's smtp_listen, submission_listen and
// smtps_listen values ("0.0.0.0:25 [::]:25"). Used by `ternctl import-postfix`.
// Pure functions; no I/O. Anything that cannot be mapped (a host name in inet_interfaces, an
// unknown service) is skipped and explained in notes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tern::ctl {

struct Listeners {
  std::string smtp;        // value for smtp_listen ("" = disabled)
  std::string submission;  // value for submission_listen
  std::string smtps;       // value for smtps_listen
  std::vector<std::string> notes;  // one sentence each, for comments in the output
};

// inet_interfaces and inet_protocols as expanded values ("all", "loopback-only",
// "192.0.2.1, ::1"; "all", "ipv4"); master_cf the text of master.cf, or nullopt when there
// is none (Postfix's default then: smtp on port 25 only).
Listeners postfix_listeners(std::string_view inet_interfaces, std::string_view inet_protocols,
                            const std::optional<std::string>& master_cf);

}  // namespace tern::ctl

// Dovecot SASL: smtpd_sasl_type = dovecot checks SMTP AUTH passwords with Dovecot's auth
// service (its client protocol 1.x on a unix-domain socket, as Postfix's smtpd does):
//   -> VERSION 1 2, CPID;  <- VERSION, MECH..., SPID, CUID, COOKIE, DONE
//   -> AUTH <id> PLAIN service=smtp nologin [secured] [rip=ip] resp=<base64 of \0user\0password>
//   <- OK <id> ... | FAIL <id> ... [temp] | CONT (not expected after an initial response)
// dovecot_auth_check() is blocking (one connection per check, bounded by a timeout): it runs on
// lookup's work pool. The protocol lines are built and read by pure functions (unit-tested).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tern::lookup {

enum class AuthVerdict { kOk, kFail, kTempFail };

struct AuthOutcome {
  AuthVerdict verdict = AuthVerdict::kTempFail;
  std::string reason;  // for the log: why not kOk
};

struct DovecotAuthRequest {
  std::string username;
  std::string password;
  bool secured = false;        // the SMTP client is on TLS
  std::string client_address;  // its IP, for Dovecot's log and its rules
};

AuthOutcome dovecot_auth_check(const std::string& socket_path, const DovecotAuthRequest& request, int timeout_seconds);

// The AUTH line (with its newline) for request id `id`.
std::string dovecot_auth_line(unsigned id, const DovecotAuthRequest& request);
// The verdict in a server line for request id `id`; nullopt-like kTempFail with a reason when
// the line is not an answer to it. `answered` tells whether the line was one.
AuthOutcome dovecot_auth_reply(std::string_view line, unsigned id, bool* answered);
// Whether the handshake lines (up to DONE) speak major version 1 and offer PLAIN; "" or why not.
std::string dovecot_handshake_problem(const std::vector<std::string>& lines);

}  // namespace tern::lookup

// sendmail's way into a running Tern: an SMTP dialogue with smtpd on <spool>/public/submit
// (smtpd takes the sender's identity from the socket's SO_PEERCRED uid).
//
// submit_message(): EHLO, MAIL FROM (RET, ENVID, BODY, SMTPUTF8 when smtpd offers them), one
// RCPT TO per recipient (NOTIFY), DATA with dot-stuffing, QUIT. Blocking, every wait bounded.
// The outcome tells the caller what to do:
//   kQueued       smtpd answered 250 to the end of DATA: the message is durable in the queue
//                 (some recipients may have been refused: `refused` lists them);
//   kUnavailable  no socket, nobody answering, a 4xx, or the connection lost before that 250:
//                 keep the message in the maildrop instead. Lost after the final "." was sent
//                 is reported as kUnavailable too, so the rare outcome is a duplicate, never a
//                 loss;
//   kRejected     a 5xx for the sender, for every recipient, or for the message: exit_code
//                 says which sysexits code (65 data, 67 no such user).
//
// relay_smtp_stdio() (-bs): copies stdin to the socket and the socket to stdout until either
// side ends; 75 with a 421 reply on stdout when smtpd cannot be reached.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tern::ctl {

struct Submission {
  std::string helo;                     // our name in EHLO
  std::string sender;                   // empty: the null sender
  std::vector<std::string> recipients;
  uint32_t notify = 0;                  // proto::Recipient.notify bits; 0: none given
  std::string ret;                      // FULL, HDRS or empty
  std::string envid;                    // raw; xtext-encoded here
};

enum class SubmitOutcome { kQueued, kUnavailable, kRejected };

struct SubmitResult {
  SubmitOutcome outcome = SubmitOutcome::kUnavailable;
  int exit_code = 0;                  // for kRejected
  std::string detail;                 // why, for a message on stderr
  std::vector<std::string> refused;   // "addr: 550 5.1.1 ..." per refused recipient
};

struct SubmitTimeouts {
  int greeting_ms = 20'000;   // smtpd may be restarting: fall back to the maildrop soon
  int reply_ms = 300'000;     // RFC 5321 §4.5.3.2's data-termination timeout is 10 minutes
};

SubmitResult submit_message(const std::string& socket_path, const Submission& submission,
                            const std::string& message, const SubmitTimeouts& timeouts = {});

int relay_smtp_stdio(const std::string& socket_path);

// RFC 3461 xtext: '+', '=' and octets outside 33..126 as "+XX".
std::string xtext_encode(const std::string& text);

// Data lines that start with "." get another "." (RFC 5321 §4.5.2); input has CRLF ends.
std::string dot_stuff(const std::string& message);

}  // namespace tern::ctl

// DsnBuilder: an RFC 3464 delivery status notification, pure (STYLE.md §10): envelope and
// per-recipient results in, message bytes (CRLF line ends) out.
//
//   multipart/report; report-type=delivery-status
//     1. text/plain            what happened, for people
//     2. message/delivery-status  Reporting-MTA, Arrival-Date, then per recipient
//                              Final-Recipient, Original-Recipient (from ORCPT), Action,
//                              Status, Remote-MTA, Diagnostic-Code
//     3. the original: message/rfc822 (RET=FULL, or unspecified for failures) when it fits in
//        bounce_size_limit, else text/rfc822-headers (RET=HDRS, success and delay notices).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "envelope.pb.h"

namespace tern::qmgr {

struct DsnRecipient {
  std::string address;      // Final-Recipient
  std::string orcpt;        // ORCPT as received ("rfc822;addr"), or empty
  std::string action;       // failed, delayed, delivered, relayed, expanded
  std::string status;       // 5.1.1
  std::string diagnostic;   // the reply text ("550 5.1.1 no such user") or our own reason
  std::string remote_mta;   // the relay's name, if any
};

struct DsnInput {
  const proto::Envelope* envelope = nullptr;  // of the original message
  std::string_view message;                   // the original message bytes
  std::string reporting_mta;                  // myhostname
  std::string mail_name = "Tern";
  std::string to;                             // the notice's recipient (the original sender)
  std::string dsn_queue_id;                   // for Message-ID and the boundary
  int64_t now_us = 0;
  size_t return_limit = 50000;                // bounce_size_limit
  std::vector<DsnRecipient> recipients;
};

// The whole notice, headers included.
std::string build_dsn(const DsnInput& input);

// RFC 5322 date in UTC: "Thu, 7 Mar 2024 10:13:47 +0000".
std::string rfc5322_date(int64_t time_us);

// The header block of a message (up to the first empty line, without it).
std::string_view message_headers(std::string_view message);

}  // namespace tern::qmgr

// The Received: header smtpd puts at the top of each message (RFC 5321 §4.4), in Postfix's
// shape:
//   Received: from HELO (HOSTNAME [ADDRESS])
//           by MYHOSTNAME (Tern) with ESMTPSA id QUEUEID
//           (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))
//           for <RCPT>; Mon,  2 Jan 2023 15:04:05 +0000 (UTC)
// Local submission: "Received: by MYHOSTNAME (Tern, from userid UID) id QUEUEID; DATE".
// Pure: the time comes in.
#pragma once

#include <cstdint>
#include <string>

namespace tern::smtpd {

struct ReceivedInfo {
  std::string helo, client_hostname, client_address;
  int64_t local_uid = -1;
  std::string myhostname, protocol, queue_id;
  std::string tls;        // "TLSv1.3 with cipher X (256/256 bits)", or empty
  std::string recipient;  // when the message has exactly one
  int64_t time_us = 0;
};

std::string format_received(const ReceivedInfo& info);
// RFC 5322 date-time in UTC: "Mon, 02 Jan 2023 15:04:05 +0000 (UTC)".
std::string rfc5322_date(int64_t time_us);

}  // namespace tern::smtpd

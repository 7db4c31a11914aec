// The message sendmail reads on standard input, made ready to submit. Pure: bytes in, bytes
// and header recipients out.
//
// split_input(): LF or CRLF line ends are both accepted (a CR is removed only before an LF);
// a line holding a single "." ends the input unless ignore_dots (-i, -oi); a last line
// without a line end is kept.
//
// prepare_message():
//   - a leading mbox "From " line is dropped (as Postfix's sendmail does);
//   - the header section is the run of "Name: value" lines and their continuation lines at
//     the top; the first other line starts the body (an empty line is put before it if the
//     message had none there);
//   - with extract_recipients (-t), the addresses of To, Cc and Bcc (or, when the message has
//     Resent- headers, of Resent-To, Resent-Cc and Resent-Bcc) are returned, folded lines and
//     groups included;
//   - Bcc and Resent-Bcc headers are removed, always (Postfix's cleanup does the same);
//   - From (with the full name), Date and Message-ID are added when missing;
//   - lines are joined with CRLF.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tern::ctl {

std::vector<std::string> split_input(std::string_view raw, bool ignore_dots);

struct MessageDefaults {
  bool extract_recipients = false;
  std::string from_address;   // the envelope sender (may be empty: null sender)
  std::string full_name;      // for an added From:, may be empty
  std::string myhostname;     // for an added Message-ID
  int64_t now_us = 0;         // for Date and Message-ID
  long pid = 0;               // for Message-ID
  int utc_offset_minutes = 0; // the local zone, for Date
};

struct PreparedMessage {
  std::string bytes;                           // CRLF line ends, ready for DATA (not stuffed)
  std::vector<std::string> header_recipients;  // -t: addr-specs as written, not yet qualified
};

PreparedMessage prepare_message(const std::vector<std::string>& lines, const MessageDefaults& defaults);

// "Tue, 5 Mar 2024 14:03:07 +0100" for the given time and offset.
std::string rfc5322_date(int64_t time_us, int utc_offset_minutes);

// A display name made safe for a From: header: control characters removed, and quoted (with
// '"' and '\' escaped) when it holds anything outside RFC 5322 atext and spaces.
std::string header_phrase(std::string_view name);

}  // namespace tern::ctl

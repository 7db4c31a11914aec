// encode_data(): the stored message as it goes on the wire after DATA (RFC 5321 §4.5.2):
// every line ends in CRLF, whatever stray CR or LF the stored bytes hold (a bare CR or bare LF
// becomes a line end of its own, so no byte sequence can end the data early: no outbound SMTP
// smuggling), lines starting with '.' get one more '.', and the end is "\r\n.\r\n". Pure.
#pragma once

#include <string>
#include <string_view>

namespace tern::smtp {

std::string encode_data(std::string_view message);

// Whether the message holds any byte >= 0x80 in its header section (SMTPUTF8 need).
bool headers_have_8bit(std::string_view message);

}  // namespace tern::smtp

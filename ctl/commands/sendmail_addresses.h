// RFC 5322 address lists as they appear in To/Cc/Bcc headers and in sendmail's recipient
// arguments ("Name <a@b>, c@d, team: e@f, g@h;, undisclosed-recipients:;"). Pure.
//
// parse_address_list() returns the addr-spec of each mailbox: the text inside <...> when
// there is one, else the mailbox text with comments and white space removed. Group names are
// dropped, their members kept; quoted strings and comments may hold ',', ':', ';', '<'. It
// never fails: what it cannot read it returns as it is, and qualify_address() (which callers
// run next) then rejects it with a reason.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace tern::ctl {

std::vector<std::string> parse_address_list(std::string_view text);

// A bare addr-spec made fit for RCPT TO / MAIL FROM: a local part alone gets "@" + origin
// (Postfix's append_at_myorigin); the result must parse as an RFC 5321 path, and "<>" only
// when allow_null (a sender). Errors name the address.
Result<std::string> qualify_address(const std::string& address, const std::string& origin, bool allow_null);

}  // namespace tern::ctl

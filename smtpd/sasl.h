// SASL pieces for AUTH (RFC 4954): base64 and the PLAIN message (RFC 4616). Pure code.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace tern::smtpd {

Result<std::string> base64_decode(std::string_view text);
std::string base64_encode(std::string_view bytes);

struct PlainCredentials {
  std::string authzid, authcid, password;
};
// authzid NUL authcid NUL password; authcid and password must not be empty.
Result<PlainCredentials> parse_plain(std::string_view decoded);

}  // namespace tern::smtpd

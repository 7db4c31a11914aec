// Client SASL encodings for AUTH PLAIN and LOGIN (RFC 4616, draft-murchison-sasl-login). Pure.
#pragma once

#include <string>
#include <string_view>

namespace tern::smtp {

std::string base64_encode(std::string_view bytes);
// "\0user\0password", base64-encoded, for "AUTH PLAIN <response>".
std::string sasl_plain_response(std::string_view user, std::string_view password);

}  // namespace tern::smtp

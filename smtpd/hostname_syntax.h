// Host name and address syntax for the HELO and address restrictions, with Postfix's rules
// (valid_hostname, valid_hostaddr): labels of letters, digits, '-' and '_', none empty, over
// 63 bytes or starting or ending with '-'; at most 255 bytes; not all digits and dots.
// Also the DNS name a reject_rbl_client query asks for. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tern::smtpd {

// A syntactically valid host name (a trailing dot allowed).
bool valid_hostname(std::string_view name);
// A bare IPv4 or IPv6 address.
bool valid_ip_address(std::string_view text);
// "[192.0.2.1]" or "[IPv6:2001:db8::1]".
bool valid_address_literal(std::string_view text);
// A valid host name with at least one dot (the trailing dot does not count).
bool is_fqdn(std::string_view name);
// "4.3.2.1.zen.example" for 1.2.3.4 and zen.example; IPv6 in nibble form. nullopt when the
// address is not an IP address.
std::optional<std::string> rbl_query_name(std::string_view address, std::string_view domain);

}  // namespace tern::smtpd

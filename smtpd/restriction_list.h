// Restriction lists as configured: smtpd_client_restrictions, smtpd_helo_restrictions,
// smtpd_sender_restrictions, smtpd_relay_restrictions, smtpd_recipient_restrictions and
// smtpd_data_restrictions, split into restrictions (a name and, for check_*_access and
// reject_rbl_client, the item that follows it). Parsed once per configuration load, so that a
// name Tern does not know is reported at start-up (and again, as Postfix does, when a command
// meets it: 451 4.3.5). Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tern::smtpd {

// Where a list is evaluated; also names its parameter.
enum class Stage { kClient, kHelo, kSender, kRelay, kRecipient, kData };
const char* stage_parameter(Stage stage);  // "smtpd_client_restrictions", ...

struct Restriction {
  std::string name;      // lower case
  std::string argument;  // the table or the RBL domain; "" for the others
  bool known = true;     // false: a name Tern does not know, or an argument missing
};
using RestrictionList = std::vector<Restriction>;

// The items of one list parameter. Each problem ("smtpd_helo_restrictions: unknown
// restriction \"x\"") is appended to *problems and the item kept with known = false.
RestrictionList parse_restriction_list(const std::vector<std::string>& items, std::string_view parameter,
                                       std::vector<std::string>* problems);

// Whether name takes the next item as its argument (check_*_access, reject_rbl_client).
bool takes_argument(std::string_view name);

}  // namespace tern::smtpd

// Relay control and recipient validation at RCPT TO, in Postfix's vocabulary. Pure: the
// facts (client in mynetworks, authenticated, how lookup classified the recipient) come in,
// a verdict comes out; smtpd does the look-ups and tests use a fake.
//
// Evaluated like Postfix: smtpd_relay_restrictions first, then smtpd_recipient_restrictions;
// in each list the first permit/reject/defer decides that list; a reject or defer in either
// ends it; then, with smtpd_reject_unlisted_recipient, an unknown local or virtual user is
// rejected 550 5.1.1. Supported: permit_mynetworks, permit_sasl_authenticated,
// reject_unauth_destination, defer_unauth_destination, reject_unlisted_recipient, permit,
// reject, defer, dunno. An unknown name is a configuration error: 451 4.3.5, as in Postfix.
#pragma once

#include <string>
#include <vector>

#include "lookup.pb.h"

namespace tern::smtpd {

struct RecipientFacts {
  std::string recipient;            // the address as given, for the reply text
  bool client_in_mynetworks = false;
  bool sasl_authenticated = false;
  bool lookup_ok = false;           // false: lookup unreachable or failed
  proto::Resolution::Class klass = proto::Resolution::RELAY;
  bool routing_syntax = false;      // '%', '!' or '@' in the local part: never ours
  bool address_literal = false;     // [ip] domain: never ours
  bool virtual_domain = false;      // UNKNOWN in a virtual mailbox domain (reply wording)
};

struct Verdict {
  bool accept = false;
  int code = 250;
  std::string enhanced = "2.1.5";
  std::string text = "Ok";
};

struct RestrictionLists {
  std::vector<std::string> relay;      // smtpd_relay_restrictions
  std::vector<std::string> recipient;  // smtpd_recipient_restrictions
  bool reject_unlisted = true;         // smtpd_reject_unlisted_recipient
};

Verdict evaluate_recipient(const RestrictionLists& lists, const RecipientFacts& facts);

// Whether the recipient is in a domain Tern receives mail for (local or virtual).
bool is_our_destination(const RecipientFacts& facts);

}  // namespace tern::smtpd

// The SMTP access restrictions, evaluated like Postfix's smtpd_check. Pure: facts come in
// (client, HELO, sender, recipient as lookup classified it), and the answers of the look-ups
// done so far; out comes a verdict, or the next look-up needed (a table, MX or address
// query). The session does that look-up asynchronously, adds its answer and evaluates again
// (session_restrictions.cpp); tests pass answers in directly.
//
// Order: the stages given, each its own list (smtpd_client_restrictions, ...); in a list the
// first permit ends that list only, the first reject or defer ends the evaluation. A
// temporary DNS failure in reject_unknown_*_domain is a defer only if the result would
// otherwise be a permit (Postfix's defer_if_permit). After the recipient stage, with
// smtpd_reject_unlisted_recipient, an unknown local or virtual user is rejected 550 5.1.1.
// A name Tern does not know, a table that lookup refuses or a table action Tern does not
// support answers 451 4.3.5 "Server configuration error" with a warning naming the
// parameter, as Postfix does. The reply codes and texts are Postfix's (postconf(5), access(5)).
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "lookup.pb.h"
#include "smtpd/restriction_list.h"

namespace tern::smtpd {

// The *_reject_code parameters, with Postfix's defaults.
struct ReplyCodes {
  int reject = 554;               // reject_code
  int defer = 450;                // defer_code
  int access_map_reject = 554;    // access_map_reject_code
  int access_map_defer = 450;     // access_map_defer_code
  int unknown_address = 450;      // unknown_address_reject_code
  int maps_rbl = 554;             // maps_rbl_reject_code
  int non_fqdn = 504;             // non_fqdn_reject_code
  int invalid_hostname = 501;     // invalid_hostname_reject_code
};

struct RestrictionLists {
  RestrictionList client, helo, sender, relay, recipient, data;
  bool reject_unlisted = true;                 // smtpd_reject_unlisted_recipient
  bool parent_domain_matches_subdomains = true;  // it lists smtpd_access_maps
  std::string null_access_lookup_key = "<>";   // smtpd_null_access_lookup_key
  std::string recipient_delimiter;
  ReplyCodes codes;

  const RestrictionList& of(Stage stage) const;
};

struct RecipientFacts {
  std::string recipient;            // the address as given, for the reply text
  bool lookup_ok = false;           // false: lookup unreachable or failed
  proto::Resolution::Class klass = proto::Resolution::RELAY;
  bool routing_syntax = false;      // '%', '!' or '@' in the local part: never ours
  bool address_literal = false;     // [ip] domain: never ours
  bool virtual_domain = false;      // UNKNOWN in a virtual mailbox domain (reply wording)
  bool relay_domain = false;        // in relay_domains: ours to relay for anyone
};

struct CheckFacts {
  std::string client_address;       // "" for local submission
  std::string client_name;          // "unknown[192.0.2.1]", for the reply text
  bool client_in_mynetworks = false;
  bool sasl_authenticated = false;
  std::optional<std::string> helo;    // nullopt: no HELO/EHLO yet
  std::optional<std::string> sender;  // nullopt: no MAIL yet; "" the null sender
  const RecipientFacts* recipient = nullptr;  // at RCPT
  bool improper_pipelining = false;   // commands sent ahead where RFC 2920 does not allow it
};

// A look-up's answer; ok = false when lookup could not be asked (unreachable, timed out).
struct LookupAnswer {
  bool ok = false;
  proto::LookupReply reply;
};
using LookupAnswers = std::map<std::string, LookupAnswer>;  // by LookupNeed::key

struct LookupNeed {
  std::string key;                  // names the question, for LookupAnswers
  proto::LookupRequest request;
};

struct Verdict {
  bool accept = false;
  int code = 250;
  std::string enhanced = "2.1.5";
  std::string text = "Ok";
};

struct Evaluation {
  std::optional<LookupNeed> need;    // set: look this up, add the answer, evaluate again
  Verdict verdict;                   // when need is empty
  std::vector<std::string> warnings; // configuration problems and failed DNS checks: log them
  std::vector<std::string> notes;    // WARN actions of access tables: log them as info
};

Evaluation evaluate(std::span<const Stage> stages, const RestrictionLists& lists, const CheckFacts& facts,
                    const LookupAnswers& answers);

// Whether the recipient is in a domain Tern receives mail for (local or virtual).
bool is_our_destination(const RecipientFacts& facts);

}  // namespace tern::smtpd

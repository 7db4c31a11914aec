// Restriction lists as configured (see restriction_list.h).
#include "smtpd/restriction_list.h"

#include <algorithm>
#include <cctype>

#include "smtpd/hostname_syntax.h"

namespace tern::smtpd {
namespace {

// Every name the evaluator (restrictions.cpp) knows that takes no argument.
constexpr std::string_view kSimpleNames[] = {
    "permit", "reject", "defer", "dunno",
    "permit_mynetworks", "permit_sasl_authenticated",
    "reject_invalid_helo_hostname", "reject_invalid_hostname",
    "reject_non_fqdn_helo_hostname", "reject_non_fqdn_hostname",
    "reject_non_fqdn_sender", "reject_non_fqdn_recipient",
    "reject_unknown_sender_domain", "reject_unknown_recipient_domain",
    "reject_unauth_pipelining",
    "reject_unauth_destination", "defer_unauth_destination", "reject_unlisted_recipient",
    "reject_sender_login_mismatch",
};

constexpr std::string_view kArgumentNames[] = {
    "check_client_access", "check_helo_access", "check_sender_access", "check_recipient_access",
    "reject_rbl_client",
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "domain" or "domain=d.d.d.d": "" when fine, else why not.
std::string rbl_argument_problem(std::string_view argument) {
  size_t eq = argument.find('=');
  if (eq == 0) return "reject_rbl_client needs a domain";
  if (eq == std::string_view::npos) return "";
  std::string_view filter = argument.substr(eq + 1);
  if (filter.find(':') != std::string_view::npos || !valid_ip_address(filter)) {
    return "reject_rbl_client " + std::string(argument) + ": Tern supports only domain=d.d.d.d";
  }
  return "";
}

}  // namespace

const char* stage_parameter(Stage stage) {
  switch (stage) {
    case Stage::kClient: return "smtpd_client_restrictions";
    case Stage::kHelo: return "smtpd_helo_restrictions";
    case Stage::kSender: return "smtpd_sender_restrictions";
    case Stage::kRelay: return "smtpd_relay_restrictions";
    case Stage::kRecipient: return "smtpd_recipient_restrictions";
    case Stage::kData: return "smtpd_data_restrictions";
  }
  return "?";
}

bool takes_argument(std::string_view name) {
  return std::find(std::begin(kArgumentNames), std::end(kArgumentNames), name) != std::end(kArgumentNames);
}

RestrictionList parse_restriction_list(const std::vector<std::string>& items, std::string_view parameter,
                                       std::vector<std::string>* problems) {
  RestrictionList list;
  auto problem = [&](const std::string& why) { problems->push_back(std::string(parameter) + ": " + why); };
  for (size_t i = 0; i < items.size(); ++i) {
    Restriction r;
    r.name = lower(items[i]);
    if (takes_argument(r.name)) {
      if (i + 1 == items.size()) {
        r.known = false;
        problem(r.name + " needs a " + (r.name == "reject_rbl_client" ? "domain" : "table") + " after it");
      } else {
        r.argument = items[++i];
        if (r.name == "reject_rbl_client") {
          r.argument = lower(r.argument);
          if (std::string why = rbl_argument_problem(r.argument); !why.empty()) {
            r.known = false;
            problem(why);
          }
        }
      }
    } else if (std::find(std::begin(kSimpleNames), std::end(kSimpleNames), r.name) == std::end(kSimpleNames)) {
      r.known = false;
      problem("unknown restriction \"" + items[i] + "\"");
    }
    list.push_back(std::move(r));
  }
  return list;
}

}  // namespace tern::smtpd

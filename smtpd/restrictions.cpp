// Relay control at RCPT TO (see restrictions.h).
#include "smtpd/restrictions.h"

#include <optional>

namespace tern::smtpd {
namespace {

using Class = proto::Resolution;

Verdict reject(int code, std::string enhanced, std::string text) {
  return Verdict{false, code, std::move(enhanced), std::move(text)};
}

Verdict temporary_lookup_failure(const RecipientFacts& f) {
  return reject(451, "4.3.0", "<" + f.recipient + ">: Temporary lookup failure");
}

Verdict unknown_user(const RecipientFacts& f) {
  std::string table = f.virtual_domain ? "virtual mailbox table" : "local recipient table";
  return reject(550, "5.1.1", "<" + f.recipient + ">: Recipient address rejected: User unknown in " + table);
}

enum class Outcome { kDunno, kPermit, kFinal };

// One restriction; kFinal puts the rejection into *out.
Outcome apply(const std::string& name, const RecipientFacts& f, Verdict* out) {
  if (name == "permit") return Outcome::kPermit;
  if (name == "dunno") return Outcome::kDunno;
  if (name == "reject") {
    *out = reject(554, "5.7.1", "<" + f.recipient + ">: Recipient address rejected: Access denied");
    return Outcome::kFinal;
  }
  if (name == "defer") {
    *out = reject(450, "4.7.1", "<" + f.recipient + ">: Recipient address rejected: Try again later");
    return Outcome::kFinal;
  }
  if (name == "permit_mynetworks") return f.client_in_mynetworks ? Outcome::kPermit : Outcome::kDunno;
  if (name == "permit_sasl_authenticated") return f.sasl_authenticated ? Outcome::kPermit : Outcome::kDunno;
  if (name == "reject_unauth_destination" || name == "defer_unauth_destination") {
    if (!f.lookup_ok || f.klass == Class::ERROR) {
      *out = temporary_lookup_failure(f);
      return Outcome::kFinal;
    }
    if (is_our_destination(f)) return Outcome::kDunno;
    *out = name == "reject_unauth_destination"
               ? reject(554, "5.7.1", "<" + f.recipient + ">: Relay access denied")
               : reject(454, "4.7.1", "<" + f.recipient + ">: Relay access denied");
    return Outcome::kFinal;
  }
  if (name == "reject_unlisted_recipient") {
    if (!f.lookup_ok || f.klass == Class::ERROR) {
      *out = temporary_lookup_failure(f);
      return Outcome::kFinal;
    }
    if (f.klass == Class::UNKNOWN) {
      *out = unknown_user(f);
      return Outcome::kFinal;
    }
    return Outcome::kDunno;
  }
  *out = reject(451, "4.3.5", "Server configuration error");
  return Outcome::kFinal;
}

// Runs one list; returns a rejection if the list ends in one.
std::optional<Verdict> run(const std::vector<std::string>& list, const RecipientFacts& f) {
  for (const std::string& name : list) {
    Verdict v;
    switch (apply(name, f, &v)) {
      case Outcome::kDunno: continue;
      case Outcome::kPermit: return std::nullopt;
      case Outcome::kFinal: return v;
    }
  }
  return std::nullopt;
}

}  // namespace

bool is_our_destination(const RecipientFacts& f) {
  if (f.routing_syntax || f.address_literal) return false;
  return f.klass == Class::LOCAL || f.klass == Class::VIRTUAL || f.klass == Class::UNKNOWN;
}

Verdict evaluate_recipient(const RestrictionLists& lists, const RecipientFacts& f) {
  if (auto v = run(lists.relay, f)) return *v;
  if (auto v = run(lists.recipient, f)) return *v;
  if (!f.lookup_ok || f.klass == Class::ERROR) return temporary_lookup_failure(f);
  if (lists.reject_unlisted && f.klass == Class::UNKNOWN) return unknown_user(f);
  return Verdict{true, 250, "2.1.5", "Ok"};
}

}  // namespace tern::smtpd

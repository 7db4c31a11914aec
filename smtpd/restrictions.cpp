// The SMTP access restrictions (see restrictions.h).
#include "smtpd/restrictions.h"

#include "common/tables/table_name.h"
#include "smtpd/access_table.h"
#include "smtpd/hostname_syntax.h"

namespace tern::smtpd {
namespace {

using Class = proto::Resolution;
using tables::lowercase;

constexpr int kMaxNesting = 3;  // restriction lists inside access table values

enum class Outcome { kDunno, kPermit, kFinal, kNeed };

// Who a rejection names: "<name>: Class rejected: why".
struct Subject {
  std::string name;
  const char* klass;
};

// The enhanced code's class follows the reply code's, as Postfix's smtpd_check_reject does.
std::string matching_class(std::string enhanced, int code) {
  if (!enhanced.empty()) enhanced[0] = static_cast<char>('0' + code / 100);
  return enhanced;
}

Verdict refuse(int code, const std::string& enhanced, std::string text) {
  return Verdict{false, code, matching_class(enhanced, code), std::move(text)};
}

Verdict refuse(int code, const std::string& enhanced, const Subject& s, const std::string& why) {
  return refuse(code, enhanced, "<" + s.name + ">: " + s.klass + " rejected: " + why);
}

Verdict temporary_lookup_failure(const std::string& name) {
  return refuse(451, "4.3.0", "<" + name + ">: Temporary lookup failure");
}

Verdict unknown_user(const RecipientFacts& f) {
  std::string table = f.relay_domain     ? "relay recipient table"
                      : f.virtual_domain ? "virtual mailbox table"
                                         : "local recipient table";
  return refuse(550, "5.1.1", "<" + f.recipient + ">: Recipient address rejected: User unknown in " + table);
}

std::string domain_of(const std::string& address) {
  size_t at = address.rfind('@');
  return at == std::string::npos ? "" : address.substr(at + 1);
}

bool lookup_failed(const RecipientFacts& f) { return !f.lookup_ok || f.klass == Class::ERROR; }

class Evaluator {
 public:
  Evaluator(const RestrictionLists& lists, const CheckFacts& facts, const LookupAnswers& answers, Evaluation* out)
      : lists_(lists), facts_(facts), answers_(answers), out_(*out) {}

  // One stage's list: kPermit or kDunno let the next stage run.
  Outcome run(Stage stage, const RestrictionList& list, int depth) {
    for (const Restriction& r : list) {
      Outcome o = apply(stage, r, depth);
      if (o != Outcome::kDunno) return o;
    }
    return Outcome::kDunno;
  }

  const std::optional<Verdict>& defer_if_permit() const { return defer_if_permit_; }

 private:
  Subject stage_subject(Stage stage) const {
    switch (stage) {
      case Stage::kClient: return client_subject();
      case Stage::kHelo: return {facts_.helo.value_or(""), "Helo command"};
      case Stage::kSender: return sender_subject();
      case Stage::kRelay:
      case Stage::kRecipient: return recipient_subject();
      case Stage::kData: return {"DATA", "Data command"};
    }
    return {"", ""};
  }
  Subject client_subject() const { return {facts_.client_name, "Client host"}; }
  Subject sender_subject() const { return {facts_.sender.value_or(""), "Sender address"}; }
  Subject recipient_subject() const {
    return {facts_.recipient ? facts_.recipient->recipient : "", "Recipient address"};
  }

  Outcome decide(Verdict v) {
    out_.verdict = std::move(v);
    return Outcome::kFinal;
  }

  Outcome configuration_error(std::string warning) {
    out_.warnings.push_back(std::move(warning));
    return decide(refuse(451, "4.3.5", "Server configuration error"));
  }

  // The answer to a question, or nullptr after recording it as the need.
  const LookupAnswer* ask(const std::string& key, proto::LookupRequest request) {
    auto it = answers_.find(key);
    if (it != answers_.end()) return &it->second;
    out_.need = LookupNeed{key, std::move(request)};
    return nullptr;
  }

  Outcome apply(Stage stage, const Restriction& r, int depth) {
    const std::string& n = r.name;
    if (!r.known) {
      return configuration_error(std::string(stage_parameter(stage)) +
                                 (takes_argument(n) ? ": " + n + " without a valid argument"
                                                    : ": unknown restriction \"" + n + "\""));
    }
    if (n == "permit") return Outcome::kPermit;
    if (n == "dunno") return Outcome::kDunno;
    if (n == "reject") return decide(refuse(lists_.codes.reject, "5.7.1", stage_subject(stage), "Access denied"));
    if (n == "defer") return decide(refuse(lists_.codes.defer, "4.7.1", stage_subject(stage), "Try again later"));
    if (n == "permit_mynetworks") return facts_.client_in_mynetworks ? Outcome::kPermit : Outcome::kDunno;
    if (n == "permit_sasl_authenticated") return facts_.sasl_authenticated ? Outcome::kPermit : Outcome::kDunno;
    if (n == "reject_sender_login_mismatch") return Outcome::kDunno;  // enforced at MAIL (session_mail.cpp)
    if (n == "reject_unauth_pipelining") {
      if (!facts_.improper_pipelining) return Outcome::kDunno;
      return decide(refuse(503, "5.5.0", stage_subject(stage), "Improper use of SMTP command pipelining"));
    }
    if (n == "reject_invalid_helo_hostname" || n == "reject_invalid_hostname") return helo_name_check(false);
    if (n == "reject_non_fqdn_helo_hostname" || n == "reject_non_fqdn_hostname") return helo_name_check(true);
    if (n == "reject_non_fqdn_sender") {
      if (!facts_.sender || facts_.sender->empty()) return Outcome::kDunno;
      return non_fqdn_address(sender_subject(), false);
    }
    if (n == "reject_non_fqdn_recipient") {
      if (!facts_.recipient) return Outcome::kDunno;
      return non_fqdn_address(recipient_subject(), true);
    }
    if (n == "reject_unknown_sender_domain") return unknown_sender_domain();
    if (n == "reject_unknown_recipient_domain") return unknown_recipient_domain();
    if (n == "reject_rbl_client") return rbl_client(r.argument);
    if (n == "check_client_access") {
      if (facts_.client_address.empty()) return Outcome::kDunno;
      return access(stage, r, client_subject(), client_access_keys(facts_.client_address), depth);
    }
    if (n == "check_helo_access") {
      if (!facts_.helo) return Outcome::kDunno;
      return access(stage, r, {*facts_.helo, "Helo command"},
                    domain_access_keys(*facts_.helo, lists_.parent_domain_matches_subdomains), depth);
    }
    if (n == "check_sender_access") {
      if (!facts_.sender) return Outcome::kDunno;
      std::vector<std::string> keys =
          facts_.sender->empty() ? std::vector<std::string>{lists_.null_access_lookup_key}
                                 : address_access_keys(*facts_.sender, lists_.recipient_delimiter,
                                                       lists_.parent_domain_matches_subdomains);
      return access(stage, r, sender_subject(), std::move(keys), depth);
    }
    if (n == "check_recipient_access") {
      if (!facts_.recipient) return Outcome::kDunno;
      return access(stage, r, recipient_subject(),
                    address_access_keys(facts_.recipient->recipient, lists_.recipient_delimiter,
                                        lists_.parent_domain_matches_subdomains),
                    depth);
    }
    return recipient_restriction(n);
  }

  // reject_unauth_destination, defer_unauth_destination, reject_unlisted_recipient.
  Outcome recipient_restriction(const std::string& n) {
    const RecipientFacts* f = facts_.recipient;
    if (f == nullptr) return Outcome::kDunno;  // no recipient in this context
    if (lookup_failed(*f)) return decide(temporary_lookup_failure(f->recipient));
    if (n == "reject_unlisted_recipient") {
      return f->klass == Class::UNKNOWN ? decide(unknown_user(*f)) : Outcome::kDunno;
    }
    if (is_our_destination(*f)) return Outcome::kDunno;
    bool reject = n == "reject_unauth_destination";
    std::string text = "<" + f->recipient + ">: Relay access denied";
    return decide(reject ? refuse(554, "5.7.1", text) : refuse(454, "4.7.1", text));
  }

  // reject_invalid_helo_hostname (fqdn_only false) and reject_non_fqdn_helo_hostname (true):
  // a bad address literal fails both; a name must be valid, or fully qualified.
  Outcome helo_name_check(bool fqdn_only) {
    if (!facts_.helo) return Outcome::kDunno;
    const std::string& h = *facts_.helo;
    Subject s{h, "Helo command"};
    if (h.starts_with("[")) {
      if (valid_address_literal(h)) return Outcome::kDunno;
      return decide(refuse(lists_.codes.invalid_hostname, "5.5.2", s, "Invalid ip address"));
    }
    if (fqdn_only) {
      if (is_fqdn(h)) return Outcome::kDunno;
      return decide(refuse(lists_.codes.non_fqdn, "5.5.2", s, "need fully-qualified hostname"));
    }
    if (valid_hostname(h) || valid_ip_address(h)) return Outcome::kDunno;
    return decide(refuse(lists_.codes.invalid_hostname, "5.5.2", s, "Invalid name"));
  }


  Outcome non_fqdn_address(const Subject& s, bool recipient) {
    std::string domain = domain_of(s.name);
    if (domain.empty() && recipient && lowercase(s.name) == "postmaster") {
      return Outcome::kDunno;  // RFC 5321 §4.5.1: <postmaster> without a domain is always valid
    }
    if (domain.starts_with("[") ? valid_address_literal(domain) : is_fqdn(domain)) return Outcome::kDunno;
    return decide(refuse(lists_.codes.non_fqdn, "5.5.2", s, "need fully-qualified address"));
  }

  Outcome unknown_sender_domain() {
    if (!facts_.sender || facts_.sender->empty()) return Outcome::kDunno;
    std::string domain = domain_of(*facts_.sender);
    if (domain.empty() || domain.starts_with("[")) return Outcome::kDunno;
    // Not when Tern is the final destination of the sender's domain.
    proto::LookupRequest request;
    request.mutable_resolve()->set_address(*facts_.sender);
    const LookupAnswer* a = ask("resolve " + *facts_.sender, std::move(request));
    if (a == nullptr) return Outcome::kNeed;
    if (a->ok && a->reply.resolutions_size() > 0) {
      Class::Class k = a->reply.resolutions(0).klass();
      if (k == Class::LOCAL || k == Class::VIRTUAL || k == Class::UNKNOWN) return Outcome::kDunno;
    }
    return unknown_domain(domain, sender_subject(), true);
  }

  Outcome unknown_recipient_domain() {
    const RecipientFacts* f = facts_.recipient;
    if (f == nullptr || (f->lookup_ok && is_our_destination(*f))) return Outcome::kDunno;
    std::string domain = domain_of(f->recipient);
    if (domain.empty() || domain.starts_with("[")) return Outcome::kDunno;
    return unknown_domain(domain, recipient_subject(), false);
  }

  // No MX and no address: unknown_address_reject_code; null MX: 550 5.7.27 (sender) or
  // 556 5.1.10 (recipient), RFC 7505; a temporary failure: 450, if nothing rejects.
  Outcome unknown_domain(const std::string& domain, const Subject& s, bool sender) {
    proto::LookupRequest request;
    request.mutable_mx()->set_domain(domain);
    const LookupAnswer* a = ask("mx " + domain, std::move(request));
    if (a == nullptr) return Outcome::kNeed;
    const char* enhanced = sender ? "4.1.8" : "4.1.2";
    proto::DnsStatus status = a->ok ? a->reply.status() : proto::DNS_TEMPFAIL;
    switch (status) {
      case proto::DNS_OK: return Outcome::kDunno;
      case proto::DNS_NULLMX:
        return decide(sender ? refuse(550, "5.7.27", s, "Domain " + domain + " does not accept mail (nullMX)")
                            : refuse(556, "5.1.10", s, "Domain " + domain + " does not accept mail (nullMX)"));
      case proto::DNS_TEMPFAIL:
        if (!defer_if_permit_) defer_if_permit_ = refuse(450, enhanced, s, "Domain not found");
        return Outcome::kDunno;
      default: return decide(refuse(lists_.codes.unknown_address, enhanced, s, "Domain not found"));
    }
  }

  // reject_rbl_client domain[=d.d.d.d]: the client's reversed address under domain has an
  // A record (that one, when given). A DNS failure is not a listing.
  Outcome rbl_client(const std::string& argument) {
    if (facts_.client_address.empty()) return Outcome::kDunno;
    size_t eq = argument.find('=');
    std::string domain = argument.substr(0, eq);
    std::string filter = eq == std::string::npos ? "" : argument.substr(eq + 1);
    auto name = rbl_query_name(facts_.client_address, domain);
    if (!name) return Outcome::kDunno;
    proto::LookupRequest request;
    request.mutable_address()->set_host(*name);
    const LookupAnswer* a = ask("address " + *name, std::move(request));
    if (a == nullptr) return Outcome::kNeed;
    if (!a->ok || a->reply.status() == proto::DNS_TEMPFAIL) {
      out_.warnings.push_back("reject_rbl_client " + domain + ": lookup of " + *name + " failed" +
                              (a->ok ? ": " + a->reply.error() : std::string()));
      return Outcome::kDunno;
    }
    for (const auto& host : a->reply.hosts()) {
      for (const auto& address : host.addresses()) {
        if (address.find(':') != std::string::npos) continue;
        if (filter.empty() || address == filter) {
          std::string text = "Service unavailable; Client host [" + facts_.client_address + "] blocked using " + domain;
          return decide(refuse(lists_.codes.maps_rbl, "5.7.1", text));
        }
      }
    }
    return Outcome::kDunno;
  }

  Outcome access(Stage stage, const Restriction& r, const Subject& s, std::vector<std::string> keys, int depth);

  const RestrictionLists& lists_;
  const CheckFacts& facts_;
  const LookupAnswers& answers_;
  Evaluation& out_;
  std::optional<Verdict> defer_if_permit_;
};

// check_*_access TABLE: one table query with every access(5) key; the value decides.
Outcome Evaluator::access(Stage stage, const Restriction& r, const Subject& s, std::vector<std::string> keys,
                          int depth) {
  if (keys.empty()) return Outcome::kDunno;
  const char* parameter = stage_parameter(stage);
  std::string question = "table " + std::string(parameter) + " " + r.argument;
  proto::LookupRequest request;
  proto::TableQuery* q = request.mutable_table();
  q->set_parameter(parameter);
  q->set_table(r.argument);
  q->set_key(keys[0]);
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i > 0) q->add_keys(keys[i]);
    question += " " + keys[i];
  }
  const LookupAnswer* a = ask(question, std::move(request));
  if (a == nullptr) return Outcome::kNeed;
  if (!a->ok || a->reply.status() == proto::DNS_TEMPFAIL) return decide(temporary_lookup_failure(s.name));
  if (a->reply.status() != proto::DNS_OK) {
    return configuration_error(std::string(parameter) + ": " + r.name + " " + r.argument + ": " + a->reply.error());
  }
  if (!a->reply.found() || a->reply.values_size() == 0) return Outcome::kDunno;
  AccessAction action = parse_access_value(a->reply.values(0));
  const ReplyCodes& codes = lists_.codes;
  switch (action.kind) {
    case AccessAction::kPermit: return Outcome::kPermit;
    case AccessAction::kDunno: return Outcome::kDunno;
    case AccessAction::kReject:
      return decide(refuse(action.code ? action.code : codes.access_map_reject,
                          action.enhanced.empty() ? "5.7.1" : action.enhanced, s,
                          action.text.empty() ? "Access denied" : action.text));
    case AccessAction::kDefer:
      return decide(refuse(action.code ? action.code : codes.access_map_defer,
                          action.enhanced.empty() ? "4.7.1" : action.enhanced, s,
                          action.text.empty() ? "Access denied" : action.text));
    case AccessAction::kWarn:
      out_.notes.push_back("<" + s.name + ">: " + s.klass + " triggers WARN action" +
                           (action.text.empty() ? "" : ": " + action.text));
      return Outcome::kDunno;
    case AccessAction::kRestrictions: {
      if (depth >= kMaxNesting) {
        return configuration_error(std::string(parameter) + ": " + r.argument + ": nested too deep");
      }
      std::vector<std::string> problems;
      RestrictionList nested = parse_restriction_list(action.restrictions, parameter, &problems);
      for (const Restriction& n : nested) {
        if (n.known && n.name.starts_with("check_")) {
          return configuration_error(std::string(parameter) + ": " + r.argument + ": " + n.name +
                                     " in a table value is not supported");
        }
      }
      return run(stage, nested, depth + 1);
    }
    case AccessAction::kUnsupported:
      return configuration_error(std::string(parameter) + ": " + r.argument + ": action \"" + action.text +
                                 "\" is not supported by Tern");
  }
  return Outcome::kDunno;
}

}  // namespace

const RestrictionList& RestrictionLists::of(Stage stage) const {
  switch (stage) {
    case Stage::kClient: return client;
    case Stage::kHelo: return helo;
    case Stage::kSender: return sender;
    case Stage::kRelay: return relay;
    case Stage::kRecipient: return recipient;
    case Stage::kData: return data;
  }
  return data;
}

bool is_our_destination(const RecipientFacts& f) {
  if (f.routing_syntax || f.address_literal) return false;
  return f.klass == Class::LOCAL || f.klass == Class::VIRTUAL || f.klass == Class::UNKNOWN || f.relay_domain;
}

Evaluation evaluate(std::span<const Stage> stages, const RestrictionLists& lists, const CheckFacts& facts,
                    const LookupAnswers& answers) {
  Evaluation out;
  Evaluator evaluator(lists, facts, answers, &out);
  bool recipient_stage = false;
  for (Stage stage : stages) {
    recipient_stage = recipient_stage || stage == Stage::kRecipient;
    Outcome o = evaluator.run(stage, lists.of(stage), 0);
    if (o == Outcome::kNeed || o == Outcome::kFinal) return out;
  }
  if (recipient_stage && facts.recipient != nullptr) {
    const RecipientFacts& f = *facts.recipient;
    if (lookup_failed(f)) {
      out.verdict = temporary_lookup_failure(f.recipient);
      return out;
    }
    if (lists.reject_unlisted && f.klass == Class::UNKNOWN) {
      out.verdict = unknown_user(f);
      return out;
    }
  }
  if (evaluator.defer_if_permit()) {
    out.verdict = *evaluator.defer_if_permit();
    return out;
  }
  out.verdict = recipient_stage ? Verdict{true, 250, "2.1.5", "Ok"} : Verdict{true, 250, "2.0.0", "Ok"};
  return out;
}

}  // namespace tern::smtpd

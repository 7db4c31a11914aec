// Router: where one envelope recipient goes (lookup's `resolve` request; Postfix's
// trivial-rewrite resolve plus cleanup's virtual alias expansion). Pure policy: tables come
// through a TableLookup and system users through a UserDb, so tests use fakes.
//
//  1. virtual_alias_maps, recursively (fan-out allowed; an address met again in its own
//     expansion is not expanded again; depth and total limited). Keys, in Postfix's order:
//     user+ext@domain, user@domain, then user+ext and user (local domains only), then @domain.
//     A match without the extension passes the extension on to the targets.
//  2. Each final address is classified: mydestination (names or tables; also the loopback
//     literals) -> LOCAL when local_recipient_maps lists it (its "unix:passwd.byname" item: a
//     system user; table items: the local part, the user without extension, or the address;
//     empty: every one), else UNKNOWN;
//     virtual_alias_domains -> UNKNOWN; virtual_mailbox_domains -> VIRTUAL with the
//     virtual_mailbox_maps value (user+ext@domain, user@domain, @domain), else UNKNOWN; with
//     virtual_transport = lmtp:..., that VIRTUAL resolution carries it as its nexthop (qmgr
//     then hands it to smtp, which speaks LMTP);
//     relay_domains (subdomains too while parent_domain_matches_subdomains names relay_domains;
//     ".domain" entries match subdomains) -> RELAY marked relay_domain, or UNKNOWN when
//     relay_recipient_maps is set and has neither user@domain nor @domain;
//     anything else -> RELAY: to the nexthop transport_maps names (transport(5) search order:
//     user+ext@domain, user@domain, domain, .parent.domain entries, "*"; "smtp:[host]:port",
//     "relay:host", ":host"; an empty nexthop is the domain; "lmtp:unix:/path" or
//     "lmtp:[host]:port" become an "lmtp:..." nexthop; other transports are an ERROR naming
//     them), else to relayhost, else to the domain.
// A table that cannot be read makes that address ERROR (temporary). Domains compare
// case-insensitively. Runs on the caller's thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/config.h"
#include "common/result.h"
#include "common/tables/table_cache.h"
#include "lookup.pb.h"

namespace tern::tables {

// The system's users (getpwnam in production).
class UserDb {
 public:
  virtual ~UserDb() = default;
  virtual bool exists(const std::string& name) = 0;
};

class SystemUserDb : public UserDb {
 public:
  bool exists(const std::string& name) override;
};

struct RouterSettings {
  std::vector<std::string> mydestination;
  std::vector<std::string> virtual_alias_domains;
  std::vector<std::string> virtual_mailbox_domains;
  std::vector<std::string> virtual_alias_maps;
  std::vector<std::string> virtual_mailbox_maps;
  std::vector<std::string> alias_maps;
  std::vector<std::string> local_recipient_maps;
  std::vector<std::string> transport_maps;
  std::vector<std::string> relay_domains;
  std::vector<std::string> relay_recipient_maps;
  bool relay_domains_match_subdomains = true;  // parent_domain_matches_subdomains names relay_domains
  std::string virtual_transport;
  std::string myorigin;
  std::string relayhost;
  std::string recipient_delimiter;
  int recursion_limit = 1000;
  int expansion_limit = 1000;

  static RouterSettings from_config(const config::Config& config);
};

// The parts of an address: local part, the recipient_delimiter extension, the domain.
struct AddressParts {
  std::string user;        // local part without the extension
  std::string extension;   // "" when none
  std::string domain;      // lower case, no trailing dot; "" when the address has none
};
AddressParts split_address(std::string_view address, std::string_view delimiters);

class Router {
 public:
  Router(RouterSettings settings, TableLookup& tables, UserDb& users)
      : settings_(std::move(settings)), tables_(tables), users_(users) {}

  // One resolution per final address (several when an alias fans out), duplicates removed.
  std::vector<proto::Resolution> resolve(std::string_view address);
  // The class of one address, without virtual alias expansion.
  proto::Resolution classify(std::string_view address);

  // Whether domain is in a domain list (names or tables); errors from tables.
  Result<bool> in_domain_list(const std::vector<std::string>& list, std::string_view domain);

 private:
  struct Expansion;
  void expand(const std::string& address, int depth, std::vector<std::string>& ancestors,
              Expansion& out);
  Result<std::optional<std::vector<std::string>>> virtual_alias(const std::string& address);
  Result<bool> is_local_domain(std::string_view domain);
  Result<bool> is_relay_domain(const std::string& domain);
  // The transport_maps value for a relayed address, if one matches.
  Result<std::optional<std::string>> transport_entry(const AddressParts& parts, std::string_view delimited,
                                                     const std::string& domain);

  RouterSettings settings_;
  TableLookup& tables_;
  UserDb& users_;
};

}  // namespace tern::tables

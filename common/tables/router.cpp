// Router: virtual alias expansion and recipient classification (see router.h).
#include "common/tables/router.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "common/tables/table_name.h"

namespace tern::tables {
namespace {

using proto::Resolution;

Resolution make(std::string_view address, Resolution::Class klass, std::string error = {}) {
  Resolution r;
  r.set_address(std::string(address));
  r.set_klass(klass);
  r.set_error(std::move(error));
  return r;
}

// "a@x, b@y c" -> {"a@x", "b@y", "c"}.
std::vector<std::string> split_list(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& value : values) {
    size_t i = 0;
    while (i < value.size()) {
      size_t start = value.find_first_not_of(", \t", i);
      if (start == std::string::npos) break;
      size_t end = value.find_first_of(", \t", start);
      out.push_back(value.substr(start, end == std::string::npos ? end : end - start));
      i = end == std::string::npos ? value.size() : end;
    }
  }
  return out;
}

bool is_loopback_literal(std::string_view domain) {
  return domain == "[::1]" || domain == "[ipv6:::1]" ||
         (domain.starts_with("[127.") && domain.ends_with("]"));
}

// user + "+ext" + "@domain", skipping the empty parts.
std::string join(std::string_view user, std::string_view delimiter_and_ext,
                 std::string_view domain) {
  std::string out(user);
  out += delimiter_and_ext;
  if (!domain.empty()) {
    out += '@';
    out += domain;
  }
  return out;
}

}  // namespace

bool SystemUserDb::exists(const std::string& name) {
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buffer(16384);
  return getpwnam_r(name.c_str(), &pw, buffer.data(), buffer.size(), &found) == 0 &&
         found != nullptr;
}

RouterSettings RouterSettings::from_config(const config::Config& config) {
  RouterSettings s;
  s.mydestination = config.get_list("mydestination");
  s.virtual_alias_domains = config.get_list("virtual_alias_domains");
  s.virtual_mailbox_domains = config.get_list("virtual_mailbox_domains");
  s.virtual_alias_maps = config.get_list("virtual_alias_maps");
  s.virtual_mailbox_maps = config.get_list("virtual_mailbox_maps");
  s.alias_maps = config.get_list("alias_maps");
  s.local_recipient_maps = config.get_list("local_recipient_maps");
  s.transport_maps = config.get_list("transport_maps");
  s.virtual_transport = config.get("virtual_transport");
  s.relay_domains = config.get_list("relay_domains");
  s.relay_recipient_maps = config.get_list("relay_recipient_maps");
  auto parents = config.get_list("parent_domain_matches_subdomains");
  s.relay_domains_match_subdomains = std::find(parents.begin(), parents.end(), "relay_domains") != parents.end();
  s.myorigin = lowercase(config.get("myorigin"));
  s.relayhost = config.get("relayhost");
  s.recipient_delimiter = config.get("recipient_delimiter");
  s.recursion_limit = static_cast<int>(config.get_int("virtual_alias_recursion_limit"));
  s.expansion_limit = static_cast<int>(config.get_int("virtual_alias_expansion_limit"));
  return s;
}

AddressParts split_address(std::string_view address, std::string_view delimiters) {
  AddressParts parts;
  size_t at = address.rfind('@');
  std::string_view local = address.substr(0, at);
  if (at != std::string_view::npos) {
    parts.domain = lowercase(address.substr(at + 1));
    while (!parts.domain.empty() && parts.domain.back() == '.') parts.domain.pop_back();
  }
  size_t cut = delimiters.empty() ? std::string_view::npos : local.find_first_of(delimiters);
  if (cut != std::string_view::npos && cut > 0) {
    parts.user = std::string(local.substr(0, cut));
    parts.extension = std::string(local.substr(cut + 1));
  } else {
    parts.user = std::string(local);
  }
  return parts;
}

struct Router::Expansion {
  std::vector<Resolution> resolutions;
  std::set<std::string> seen;   // final addresses, lower case
  int addresses = 0;            // every address met, against expansion_limit
  bool too_many = false;
};

std::vector<Resolution> Router::resolve(std::string_view address) {
  Expansion out;
  std::vector<std::string> ancestors;
  expand(std::string(address), 0, ancestors, out);
  return std::move(out.resolutions);
}

void Router::expand(const std::string& address, int depth, std::vector<std::string>& ancestors,
                    Expansion& out) {
  if (out.too_many) return;
  auto add_final = [&](Resolution r) {
    if (out.seen.insert(lowercase(r.address())).second) out.resolutions.push_back(std::move(r));
  };
  if (++out.addresses > settings_.expansion_limit || depth > settings_.recursion_limit) {
    out.too_many = true;
    out.resolutions.clear();
    out.resolutions.push_back(make(ancestors.empty() ? address : ancestors.front(),
                                   Resolution::ERROR,
                                   "virtual alias expansion exceeds the recursion or expansion limit"));
    return;
  }
  auto targets = virtual_alias(address);
  if (!targets) {
    add_final(make(address, Resolution::ERROR, targets.error().message));
    return;
  }
  if (!*targets) {
    add_final(classify(address));
    return;
  }
  ancestors.push_back(lowercase(address));
  for (const auto& target : **targets) {
    std::string folded = lowercase(target);
    if (std::find(ancestors.begin(), ancestors.end(), folded) != ancestors.end()) {
      add_final(classify(target));  // "a@x -> a@x, b@y": keep a copy, expand no further
    } else {
      expand(target, depth + 1, ancestors, out);
    }
    if (out.too_many) break;
  }
  ancestors.pop_back();
}

Result<std::optional<std::vector<std::string>>> Router::virtual_alias(const std::string& address) {
  using Found = std::optional<std::vector<std::string>>;
  if (settings_.virtual_alias_maps.empty()) return Found();
  AddressParts parts = split_address(address, settings_.recipient_delimiter);
  std::string delimited = parts.extension.empty()
                              ? std::string()
                              : address.substr(parts.user.size(), 1) + parts.extension;
  auto local = is_local_domain(parts.domain);
  if (!local) return std::unexpected(local.error());
  struct Key {
    std::string key;
    bool propagate;  // matched without the extension: pass it on
  };
  std::vector<Key> keys;
  if (!parts.domain.empty()) {
    if (!delimited.empty()) keys.push_back({join(parts.user, delimited, parts.domain), false});
    keys.push_back({join(parts.user, "", parts.domain), !delimited.empty()});
  }
  if (*local || parts.domain.empty()) {
    if (!delimited.empty()) keys.push_back({parts.user + delimited, false});
    keys.push_back({parts.user, !delimited.empty()});
  }
  if (!parts.domain.empty()) keys.push_back({"@" + parts.domain, false});
  for (const auto& key : keys) {
    auto values = tables_.find(settings_.virtual_alias_maps, key.key, Syntax::kText);
    if (!values) return std::unexpected(values.error());
    if (!*values) continue;
    std::vector<std::string> targets;
    for (auto& target : split_list(**values)) {
      size_t at = target.rfind('@');
      if (at == std::string::npos) {
        at = target.size();
        target += "@" + settings_.myorigin;
      }
      if (key.propagate) target.insert(at, delimited);
      targets.push_back(std::move(target));
    }
    return Found(std::move(targets));
  }
  return Found();
}

Result<bool> Router::in_domain_list(const std::vector<std::string>& list, std::string_view domain) {
  for (const auto& item : list) {
    if (is_table_item(item)) {
      auto found = tables_.find({item}, domain, Syntax::kText);
      if (!found) return std::unexpected(found.error());
      if (*found) return true;
      continue;
    }
    std::string name = lowercase(item);
    while (!name.empty() && name.back() == '.') name.pop_back();
    if (name == domain) return true;
  }
  return false;
}

Result<bool> Router::is_relay_domain(const std::string& domain) {
  if (settings_.relay_domains.empty()) return false;
  auto exact = in_domain_list(settings_.relay_domains, domain);
  if (!exact || *exact) return exact;
  for (size_t dot = domain.find('.'); dot != std::string::npos; dot = domain.find('.', dot + 1)) {
    auto dotted = in_domain_list(settings_.relay_domains, domain.substr(dot));  // ".example.com"
    if (!dotted || *dotted) return dotted;
    if (settings_.relay_domains_match_subdomains) {
      auto parent = in_domain_list(settings_.relay_domains, domain.substr(dot + 1));
      if (!parent || *parent) return parent;
    }
  }
  return false;
}

Result<bool> Router::is_local_domain(std::string_view domain) {
  if (is_loopback_literal(domain)) return true;
  return in_domain_list(settings_.mydestination, domain);
}

Resolution Router::classify(std::string_view address) {
  AddressParts parts = split_address(address, settings_.recipient_delimiter);
  std::string domain = parts.domain.empty() ? settings_.myorigin : parts.domain;
  std::string final_address = parts.domain.empty() ? join(address, "", domain) : std::string(address);
  auto local = is_local_domain(domain);
  if (!local) return make(final_address, Resolution::ERROR, local.error().message);
  if (*local) {
    Resolution r = make(final_address, Resolution::LOCAL);
    std::string user = lowercase(parts.user);
    r.set_mailbox(user);
    r.set_extension(parts.extension);
    if (settings_.local_recipient_maps.empty()) return r;  // accept all: local bounces the unknown
    std::string local_part = final_address.substr(0, final_address.rfind('@'));
    for (const std::string& item : settings_.local_recipient_maps) {
      if (item == "proxy:unix:passwd.byname" || item == "unix:passwd.byname") {
        if (users_.exists(user)) return r;
        continue;
      }
      bool alias_table = std::find(settings_.alias_maps.begin(), settings_.alias_maps.end(), item) != settings_.alias_maps.end();
      for (const std::string& key : {lowercase(local_part), user, lowercase(final_address)}) {
        auto found = tables_.find({item}, key, alias_table ? Syntax::kAliases : Syntax::kText);
        if (!found) return make(final_address, Resolution::ERROR, found.error().message);
        if (*found) return r;
      }
    }
    return make(final_address, Resolution::UNKNOWN, "User unknown in local recipient table");
  }
  auto alias_domain = in_domain_list(settings_.virtual_alias_domains, domain);
  if (!alias_domain) return make(final_address, Resolution::ERROR, alias_domain.error().message);
  if (*alias_domain) {
    return make(final_address, Resolution::UNKNOWN, "User unknown in virtual alias table");
  }
  auto virtual_domain = in_domain_list(settings_.virtual_mailbox_domains, domain);
  if (!virtual_domain) return make(final_address, Resolution::ERROR, virtual_domain.error().message);
  if (*virtual_domain) {
    std::string delimited = parts.extension.empty()
                                ? std::string()
                                : std::string(address.substr(parts.user.size(), 1)) + parts.extension;
    std::vector<std::string> keys;
    if (!delimited.empty()) keys.push_back(join(parts.user, delimited, domain));
    keys.push_back(join(parts.user, "", domain));
    keys.push_back("@" + domain);
    for (const auto& key : keys) {
      auto mailbox = tables_.find(settings_.virtual_mailbox_maps, key, Syntax::kText);
      if (!mailbox) return make(final_address, Resolution::ERROR, mailbox.error().message);
      if (!*mailbox || (*mailbox)->empty()) continue;
      Resolution r = make(final_address, Resolution::VIRTUAL);
      r.set_mailbox((*mailbox)->front());
      r.set_extension(parts.extension);
      const std::string& transport = settings_.virtual_transport;
      if (transport.size() > 5 && lowercase(transport.substr(0, 5)) == "lmtp:") {
        if (lowercase(transport.substr(5, 5)) == "unix:" && transport.substr(10, 1) != "/") {
          return make(final_address, Resolution::ERROR, "virtual_transport: lmtp:unix: needs an absolute path");
        }
        r.set_nexthop(transport);
      } else if (!transport.empty() && transport != "virtual") {
        return make(final_address, Resolution::ERROR,
                    "virtual_transport \"" + transport + "\" is not supported (virtual and lmtp:... are)");
      }
      return r;
    }
    return make(final_address, Resolution::UNKNOWN, "User unknown in virtual mailbox table");
  }
  Resolution r = make(final_address, Resolution::RELAY);
  r.set_nexthop(settings_.relayhost.empty() ? domain : settings_.relayhost);
  auto relay_domain = is_relay_domain(domain);
  if (!relay_domain) return make(final_address, Resolution::ERROR, relay_domain.error().message);
  if (*relay_domain) {
    r.set_relay_domain(true);
    if (!settings_.relay_recipient_maps.empty()) {
      bool listed = false;
      for (const std::string& key : {lowercase(join(parts.user, "", domain)), "@" + domain}) {
        auto found = tables_.find(settings_.relay_recipient_maps, key, Syntax::kText);
        if (!found) return make(final_address, Resolution::ERROR, found.error().message);
        if (*found) {
          listed = true;
          break;
        }
      }
      if (!listed) {
        Resolution unknown = make(final_address, Resolution::UNKNOWN, "User unknown in relay recipient table");
        unknown.set_relay_domain(true);
        return unknown;
      }
    }
  }
  std::string delimited = parts.extension.empty() ? std::string()
                                                  : std::string(address.substr(parts.user.size(), 1)) + parts.extension;
  auto entry = transport_entry(parts, delimited, domain);
  if (!entry) return make(final_address, Resolution::ERROR, entry.error().message);
  if (!*entry) return r;
  size_t colon = (*entry)->find(':');
  std::string transport = lowercase(std::string_view(**entry).substr(0, colon));
  std::string nexthop = colon == std::string::npos ? std::string() : (*entry)->substr(colon + 1);
  if (transport == "lmtp") {
    if (nexthop.empty() || (lowercase(nexthop.substr(0, 5)) == "unix:" && nexthop.substr(5, 1) != "/")) {
      return make(final_address, Resolution::ERROR,
                  "transport_maps: lmtp needs a nexthop: unix:/absolute/path, [host]:port or host");
    }
    r.set_nexthop("lmtp:" + nexthop);
    return r;
  }
  if (transport != "smtp" && transport != "relay" && !transport.empty()) {
    return make(final_address, Resolution::ERROR,
                "transport_maps: transport \"" + transport + "\" is not supported (smtp, relay and lmtp are)");
  }
  r.set_nexthop(nexthop.empty() ? domain : nexthop);
  return r;
}

Result<std::optional<std::string>> Router::transport_entry(const AddressParts& parts, std::string_view delimited,
                                                           const std::string& domain) {
  if (settings_.transport_maps.empty()) return std::optional<std::string>();
  std::vector<std::string> keys;
  if (!delimited.empty()) keys.push_back(join(parts.user, delimited, domain));
  keys.push_back(join(parts.user, "", domain));
  keys.push_back(domain);
  for (size_t dot = domain.find('.'); dot != std::string::npos; dot = domain.find('.', dot + 1))
    keys.push_back(domain.substr(dot));  // ".example.com" entries match subdomains
  keys.push_back("*");
  for (const std::string& key : keys) {
    auto found = tables_.find(settings_.transport_maps, key, Syntax::kText);
    if (!found) return std::unexpected(found.error());
    if (*found && !(*found)->empty()) return std::optional<std::string>((*found)->front());
  }
  return std::optional<std::string>();
}

}  // namespace tern::tables

// Validate: the load-time checks of a parsed tern.conf (Config::validate, see config.h).
// Errors: a malformed $macro, an expansion loop, a value that does not fit its parameter's
// type or check. Warnings: an unknown parameter nothing refers to, a $name that is not set.
// Values are checked after expansion ("a = 5m" then "minimal_backoff_time = $a" is fine), but
// each message points at the line that set the parameter.
#include <algorithm>
#include <set>

#include "common/config/config.h"
#include "common/config/expand.h"
#include "common/config/parameters.h"
#include "common/config/values.h"

namespace tern::config {
namespace {

// Why value does not fit p, or "".
std::string type_error(const Parameter& p, std::string_view value) {
  Result<int64_t> number = 0;
  switch (p.type) {
    case Type::kTime: number = parse_time(value, p.unit); break;
    case Type::kSize:
    case Type::kInt: number = parse_count(value); break;
    case Type::kBool:
      if (Result<bool> b = parse_bool(value); !b) return b.error().message;
      break;
    case Type::kString:
    case Type::kList: break;
  }
  if (!number) return number.error().message;
  return p.check != nullptr ? p.check(value) : "";
}

// "b -> c -> a -> b" for the cycle {a, b, c, a} started at b.
std::string describe_cycle(std::vector<std::string> cycle, const std::string& start) {
  cycle.pop_back();
  std::rotate(cycle.begin(), std::find(cycle.begin(), cycle.end(), start), cycle.end());
  std::string text;
  for (const std::string& name : cycle) text += name + " -> ";
  return text + start;
}

// Names forward_path may use that are not parameters: local fills them in per recipient.
bool delivery_time_name(std::string_view parameter, std::string_view ref) {
  static const std::set<std::string_view> kNames{"home", "user", "shell", "recipient", "extension", "domain", "local"};
  return parameter == "forward_path" && kNames.contains(ref);
}

// Parameters Tern accepts so that a Postfix main.cf loads, but does not act on yet: setting
// one is worth a warning, never silence (etc/tern.conf says the same).
bool not_acted_on(std::string_view name) {
  static const std::set<std::string_view> kNames{
      "smtpd_recipient_overshoot_limit",
      "smtpd_client_connection_rate_limit",
      "smtpd_client_message_rate_limit",
      "smtpd_client_recipient_rate_limit",
      "anvil_rate_time_unit",
      "smtpd_peername_lookup",
      "strict_rfc821_envelopes",
      "unknown_local_recipient_reject_code",
      "smtpd_tls_loglevel",
      "smtpd_tls_received_header",
      "smtpd_sasl_security_options",
      "smtpd_sasl_tls_security_options",
      "smtp_mx_session_limit",
      "smtp_tls_loglevel",
      "smtp_sasl_tls_security_options",
      "initial_destination_concurrency",
      "default_destination_rate_delay",
      "queue_minfree",
      "hopcount_limit",
      "notify_classes",
      "bounce_notice_recipient",
      "delay_notice_recipient",
      "error_notice_recipient",
      "biff",
  };
  return kNames.contains(name);
}

}  // namespace

void Config::validate(const std::string& file, std::vector<Diagnostic>* errors,
                      std::vector<Diagnostic>* warnings) const {
  auto line_of = [this](std::string_view name) {
    auto it = lines_.find(canonical_name(name));
    return it == lines_.end() ? 0 : it->second;
  };

  // Each value as written: macro syntax, and the names it refers to.
  std::set<std::string, std::less<>> referenced;
  for (const auto& [name, value] : values_) {
    if (is_verbatim(name)) continue;  // not expanded: its $ belong to the shell
    References refs = scan(value);
    if (!refs.error.empty()) errors->push_back({file, line_of(name), name + ": " + refs.error});
    std::set<std::string> undefined;
    for (const std::string& ref : refs.plain)
      if (!is_known(ref) && !values_.contains(ref) && !delivery_time_name(name, ref)) undefined.insert(ref);
    for (const std::string& ref : undefined)
      warnings->push_back({file, line_of(name),
                           name + ": undefined parameter \"$" + ref + "\" expands to empty"});
    referenced.insert(refs.plain.begin(), refs.plain.end());
    referenced.insert(refs.conditional.begin(), refs.conditional.end());
  }

  for (const auto& [name, value] : values_) {
    const Parameter* p = find_parameter(name);
    if (not_acted_on(name) && p != nullptr && p->default_value != nullptr && value != p->default_value)
      warnings->push_back({file, line_of(name), name + ": accepted for main.cf compatibility, but Tern does not act "
                                                       "on it yet: it behaves as if it had its default value"});
  }

  // Names nothing uses. A name that some value refers to is the administrator's own
  // parameter (as in Postfix: "base = /srv", "virtual_mailbox_base = $base").
  for (const auto& [name, value] : values_)
    if (!is_known(name) && !referenced.contains(name))
      warnings->push_back({file, line_of(name), "unknown parameter \"" + name + "\""});

  // Loops. Every loop passes through a value set in the file (the defaults have none), so
  // expanding those finds them all; each is reported once, at its earliest line.
  std::set<std::set<std::string>> reported;
  for (const auto& [name, value] : values_) {
    std::vector<std::vector<std::string>> loops;
    expand(name, &loops);
    for (const std::vector<std::string>& cycle : loops) {
      std::set<std::string> members;
      for (const std::string& m : cycle) members.insert(std::string(canonical_name(m)));
      if (!reported.insert(members).second) continue;
      std::string start = cycle.front();
      for (const std::string& m : cycle)
        if (line_of(m) > 0 && (line_of(start) == 0 || line_of(m) < line_of(start))) start = m;
      errors->push_back({file, line_of(start), "expansion loop: " + describe_cycle(cycle, start)});
    }
  }

  // Typed values, expanded. A value that loops was reported above.
  for (const Parameter& p : parameters()) {
    if ((p.type == Type::kString || p.type == Type::kList) && p.check == nullptr) continue;
    std::vector<std::vector<std::string>> loops;
    std::string value = expand(p.name, &loops);
    if (!loops.empty()) continue;
    std::string why = type_error(p, value);
    if (why.empty()) continue;
    std::string message = std::string(p.name) + ": invalid value \"" + value + "\"";
    auto written = values_.find(canonical_name(p.name));
    if (written != values_.end() && written->second != value)
      message += " (from \"" + written->second + "\")";
    errors->push_back({file, line_of(p.name), message + ": " + why});
  }
}

}  // namespace tern::config

// Settings from the Config (see settings.h).
#include "smtpd/settings.h"

#include <algorithm>
#include <cctype>

namespace tern::smtpd {
namespace {

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// The six restriction lists and the parameters their replies use; names Tern does not know
// go to s.restriction_problems (smtpd warns about them at start-up).
void read_restrictions(const config::Config& c, Settings& s) {
  RestrictionLists& r = s.restrictions;
  auto list = [&](Stage stage) {
    return parse_restriction_list(c.get_list(stage_parameter(stage)), stage_parameter(stage), &s.restriction_problems);
  };
  r.client = list(Stage::kClient);
  r.helo = list(Stage::kHelo);
  r.sender = list(Stage::kSender);
  r.relay = list(Stage::kRelay);
  r.recipient = list(Stage::kRecipient);
  r.data = list(Stage::kData);
  r.reject_unlisted = c.get_bool("smtpd_reject_unlisted_recipient");
  r.parent_domain_matches_subdomains =
      contains(c.get_list("parent_domain_matches_subdomains"), "smtpd_access_maps");
  r.null_access_lookup_key = c.get("smtpd_null_access_lookup_key");
  r.recipient_delimiter = c.get("recipient_delimiter");
  auto code = [&](const char* name) { return static_cast<int>(c.get_int(name)); };
  r.codes = ReplyCodes{code("reject_code"), code("defer_code"), code("access_map_reject_code"),
                       code("access_map_defer_code"), code("unknown_address_reject_code"),
                       code("maps_rbl_reject_code"), code("non_fqdn_reject_code"),
                       code("invalid_hostname_reject_code")};
  s.delay_reject = c.get_bool("smtpd_delay_reject");
  // reject_sender_login_mismatch is enforced at MAIL FROM, whichever list names it (as before
  // the other lists were evaluated); in the lists it is then a no-op.
  for (Stage stage : {Stage::kClient, Stage::kHelo, Stage::kSender, Stage::kRelay, Stage::kRecipient}) {
    for (const Restriction& item : r.of(stage)) {
      if (item.name == "reject_sender_login_mismatch") s.reject_sender_login_mismatch = true;
    }
  }
}

}  // namespace

bool Settings::announces(const std::string& keyword) const {
  return !contains(discard_ehlo_keywords, upper(keyword));
}

Result<std::shared_ptr<const Settings>> Settings::from_config(const config::Config& c) {
  auto s = std::make_shared<Settings>();
  s->myhostname = c.get("myhostname");
  s->banner = c.get("smtpd_banner");
  s->message_size_limit = static_cast<uint64_t>(std::max<int64_t>(0, c.get_int("message_size_limit")));
  if (s->message_size_limit == 0) s->message_size_limit = UINT64_MAX / 2;  // 0: no limit, as Postfix
  s->line_length_limit = static_cast<size_t>(std::max<int64_t>(512, c.get_int("line_length_limit")));
  s->recipient_limit = static_cast<int>(c.get_int("smtpd_recipient_limit"));
  s->timeout_ms = static_cast<uint64_t>(c.get_time("smtpd_timeout")) * 1000;
  s->soft_error_limit = static_cast<int>(c.get_int("smtpd_soft_error_limit"));
  s->hard_error_limit = static_cast<int>(c.get_int("smtpd_hard_error_limit"));
  s->error_sleep_ms = static_cast<uint64_t>(c.get_time("smtpd_error_sleep_time")) * 1000;
  s->junk_command_limit = static_cast<int>(c.get_int("smtpd_junk_command_limit"));
  s->helo_required = c.get_bool("smtpd_helo_required");
  s->smtputf8_enable = c.get_bool("smtputf8_enable");
  s->disable_vrfy = c.get_bool("disable_vrfy_command");
  for (const auto& k : c.get_list("smtpd_discard_ehlo_keywords")) s->discard_ehlo_keywords.push_back(upper(k));
  auto networks = Networks::parse(c.get_list("mynetworks"));
  if (!networks) return std::unexpected(networks.error());
  s->mynetworks = std::move(*networks);
  auto exceptions = Networks::parse(c.get_list("smtpd_client_event_limit_exceptions"));
  if (exceptions) s->limit_exceptions = std::move(*exceptions);  // may name tables: then none
  read_restrictions(c, *s);
  auto checks = tables::ContentChecks::load(c, &s->content_check_warnings);
  if (!checks) return std::unexpected(checks.error());
  s->content_checks = std::move(*checks);
  std::string level = c.get("smtpd_tls_security_level");
  s->tls_level = level == "encrypt" ? TlsLevel::kEncrypt : level == "may" ? TlsLevel::kMay : TlsLevel::kNone;
  s->tls_cert_file = c.get("smtpd_tls_cert_file");
  s->tls_key_file = c.get("smtpd_tls_key_file");
  s->tls_auth_only = c.get_bool("smtpd_tls_auth_only");
  s->starttls_timeout_ms = static_cast<uint64_t>(c.get_time("smtpd_starttls_timeout")) * 1000;
  s->sasl_auth_enable = c.get_bool("smtpd_sasl_auth_enable");
  s->sender_login_maps = !c.get_list("smtpd_sender_login_maps").empty();
  s->client_connection_count_limit = static_cast<int>(c.get_int("smtpd_client_connection_count_limit"));
  s->connection_limit = static_cast<int>(c.get_int("smtpd_connection_limit"));
  return std::shared_ptr<const Settings>(std::move(s));
}

}  // namespace tern::smtpd

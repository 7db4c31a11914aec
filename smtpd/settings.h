// Settings: the parameters smtpd uses, read once from the Config (at start and on reload)
// into plain values, so that a session never parses config text. Shared read-only by the
// sessions that started under it (shared_ptr<const Settings>).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "common/result.h"
#include "common/tables/content_checks.h"
#include "smtpd/networks.h"
#include "smtpd/restrictions.h"

namespace tern::smtpd {

enum class TlsLevel { kNone, kMay, kEncrypt };

struct Settings {
  std::string myhostname;
  std::string banner;                 // smtpd_banner, expanded
  uint64_t message_size_limit = 10240000;
  size_t line_length_limit = 2048;
  int recipient_limit = 1000;
  uint64_t timeout_ms = 300000;
  int soft_error_limit = 10;
  int hard_error_limit = 20;
  uint64_t error_sleep_ms = 1000;
  int junk_command_limit = 100;
  bool helo_required = false;
  bool smtputf8_enable = true;
  bool disable_vrfy = false;
  std::vector<std::string> discard_ehlo_keywords;   // upper-cased
  Networks mynetworks;
  RestrictionLists restrictions;
  bool delay_reject = true;           // smtpd_delay_reject
  std::vector<std::string> restriction_problems;  // unknown names etc., warned at start-up
  TlsLevel tls_level = TlsLevel::kNone;
  std::string tls_cert_file, tls_key_file;
  bool tls_auth_only = true;
  uint64_t starttls_timeout_ms = 300000;
  bool sasl_auth_enable = false;
  bool sender_login_maps = false;     // smtpd_sender_login_maps is set
  bool reject_sender_login_mismatch = false;
  int client_connection_count_limit = 50;
  int connection_limit = 0;           // smtpd_connection_limit: per process, 0 none
  Networks limit_exceptions;          // smtpd_client_event_limit_exceptions
  // header_checks, body_checks, ...: null when none is configured (no cost on the DATA path).
  std::shared_ptr<const tables::ContentChecks> content_checks;
  std::vector<std::string> content_check_warnings;  // logged at start-up and reload

  static Result<std::shared_ptr<const Settings>> from_config(const config::Config& config);
  bool tls_configured() const { return tls_level != TlsLevel::kNone && !tls_cert_file.empty() && !tls_key_file.empty(); }
  bool announces(const std::string& keyword) const;
};

}  // namespace tern::smtpd

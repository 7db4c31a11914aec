// Parameters: the table of known parameters (see parameters.h). One line per parameter:
// {name, type, default, default time unit, check, description}.
#include "common/config/parameters.h"

#include <unordered_map>

namespace tern::config {
namespace {

using enum Type;

constexpr Parameter kParameters[] = {
    // Identity
    {"myhostname", kString, nullptr, 0, nullptr, "Fully-qualified host name of this mail system (default: the machine's name)"},
    {"mydomain", kString, nullptr, 0, nullptr, "Internet domain of this mail system (default: $myhostname minus its first label)"},
    {"myorigin", kString, "$myhostname", 0, nullptr, "Domain that locally-posted mail appears to come from"},
    {"mydestination", kList, "$myhostname, localhost.$mydomain, localhost", 0, nullptr, "Domains delivered locally (not through virtual mailboxes)"},
    {"mail_name", kString, "Tern", 0, nullptr, "Mail system name shown in the SMTP greeting and in bounces"},
    {"tern_user", kString, "tern", 0, nullptr, "Unprivileged account that Tern's daemons run as"},
    // Directories
    {"config_directory", kString, nullptr, 0, nullptr, "Directory holding tern.conf (default: -c DIR, else $MAIL_CONFIG, else /etc/tern)"},
    {"daemon_directory", kString, nullptr, 0, nullptr, "Directory holding Tern's daemon programs (default: set at build time)"},
    {"spool_directory", kString, "/var/spool/tern", 0, nullptr, "Queue and IPC sockets live here (same as queue_directory)"},
    {"queue_directory", kString, "/var/spool/tern", 0, nullptr, "Postfix's name for spool_directory: setting either sets both"},
    // Listeners and networks
    {"smtp_listen", kList, "0.0.0.0:25 [::]:25", 0, check_listen, "address:port list for SMTP (port 25); empty disables"},
    {"submission_listen", kList, "0.0.0.0:587 [::]:587", 0, check_listen, "address:port list for message submission (587); empty disables"},
    {"smtps_listen", kList, "", 0, check_listen, "address:port list for submission over implicit TLS (465); empty disables"},
    {"inet_interfaces", kList, "all", 0, nullptr, "Network addresses the mail system receives mail on (Postfix compatibility)"},
    {"mynetworks", kList, "127.0.0.0/8 [::1]/128", 0, nullptr, "Trusted client networks (permit_mynetworks)"},
    {"relay_domains", kList, "", 0, nullptr, "Domains this system relays mail to for anyone (a backup MX, a gateway); subdomains too while parent_domain_matches_subdomains names relay_domains"},
    {"relay_recipient_maps", kList, "", 0, nullptr, "Tables of the valid recipients in relay_domains (user@domain or @domain); empty: any"},
    {"transport_maps", kList, "", 0, nullptr, "Tables of address or domain -> transport:nexthop for relayed mail (smtp or relay transports; \".domain\" keys match subdomains)"},
    {"relayhost", kString, "", 0, nullptr, "Next hop for all non-local mail ([host]:port skips MX look-up); empty: DNS"},
    // Logging
    {"log_level", kString, "info", 0, check_log_level, "Lowest level logged: debug, info, warning or error"},
    {"syslog_name", kString, "tern", 0, nullptr, "Program name prefix in log lines"},
    {"maillog_file", kString, "", 0, nullptr, "Log to this file instead of syslog (every program; also with -f); empty: syslog"},
    // Processes
    {"smtpd_process_count", kInt, "0", 0, nullptr, "Number of smtpd processes; 0: one per two CPU cores, at least one"},
    {"master_restart_give_up", kInt, "10", 0, nullptr, "Consecutive failed restarts of a daemon before master gives up"},
    {"master_restart_max_backoff", kTime, "60s", 's', nullptr, "Longest wait between restarts of a failing daemon"},
    {"daemon_shutdown_timeout", kTime, "10s", 's', nullptr, "Time daemons get to finish work on stop before they are killed"},
    // SMTP server: limits
    {"message_size_limit", kSize, "10240000", 0, nullptr, "Largest message accepted, in bytes"},
    {"header_size_limit", kSize, "102400", 0, nullptr, "Bytes of one message header (with its continuation lines) that header checks inspect"},
    {"line_length_limit", kSize, "2048", 0, nullptr, "Longest SMTP command line or message line accepted, in bytes"},
    {"smtpd_recipient_limit", kInt, "1000", 0, nullptr, "Most recipients accepted per message"},
    {"smtpd_recipient_overshoot_limit", kInt, "1000", 0, nullptr, "Recipients beyond smtpd_recipient_limit counted as errors"},
    {"smtpd_timeout", kTime, "300s", 's', nullptr, "Time a client gets to send a command or message data"},
    {"smtpd_client_connection_count_limit", kInt, "50", 0, nullptr, "Simultaneous connections one client may have; 0: no limit"},
    {"smtpd_connection_limit", kInt, "10000", 0, nullptr, "Simultaneous connections one smtpd process serves; beyond it 421 4.7.0; 0: no limit"},
    {"smtpd_client_connection_rate_limit", kInt, "0", 0, nullptr, "Connections one client may make per anvil_rate_time_unit; 0: no limit"},
    {"smtpd_client_message_rate_limit", kInt, "0", 0, nullptr, "Messages one client may send per anvil_rate_time_unit; 0: no limit"},
    {"smtpd_client_recipient_rate_limit", kInt, "0", 0, nullptr, "Recipients one client may give per anvil_rate_time_unit; 0: no limit"},
    {"smtpd_client_event_limit_exceptions", kList, "$mynetworks", 0, nullptr, "Clients exempt from the connection and rate limits"},
    {"anvil_rate_time_unit", kTime, "60s", 's', nullptr, "Time unit of the smtpd_client_*_rate_limit parameters"},
    {"smtpd_soft_error_limit", kInt, "10", 0, nullptr, "Errors after which each reply is delayed by smtpd_error_sleep_time"},
    {"smtpd_hard_error_limit", kInt, "20", 0, nullptr, "Errors after which the client is disconnected"},
    {"smtpd_error_sleep_time", kTime, "1s", 's', nullptr, "Delay before each error reply once smtpd_soft_error_limit is reached"},
    {"smtpd_junk_command_limit", kInt, "100", 0, nullptr, "NOOP, RSET, VRFY and similar commands counted as errors beyond this"},
    // SMTP server: behaviour
    {"smtpd_banner", kString, "$myhostname ESMTP $mail_name", 0, nullptr, "Text after 220 in the SMTP greeting"},
    {"smtpd_helo_required", kBool, "no", 0, nullptr, "Require HELO or EHLO before MAIL FROM"},
    {"smtpd_delay_reject", kBool, "yes", 0, nullptr, "Apply client, HELO and sender restrictions at RCPT TO"},
    {"disable_vrfy_command", kBool, "no", 0, nullptr, "Refuse the VRFY command"},
    {"smtpd_discard_ehlo_keywords", kList, "", 0, nullptr, "EHLO keywords not announced (e.g. silent-discard, pipelining)"},
    {"smtpd_peername_lookup", kBool, "yes", 0, nullptr, "Look up the client's host name from its address"},
    {"smtputf8_enable", kBool, "yes", 0, nullptr, "Announce and accept SMTPUTF8"},
    {"strict_rfc821_envelopes", kBool, "no", 0, nullptr, "Require <> around MAIL FROM and RCPT TO addresses"},
    {"smtpd_reject_unlisted_recipient", kBool, "yes", 0, nullptr, "Reject recipients not in the local, virtual or relay recipient tables"},
    {"unknown_local_recipient_reject_code", kInt, "550", 0, nullptr, "Reply code for an unknown local recipient"},
    // SMTP server: restrictions
    {"smtpd_client_restrictions", kList, "", 0, nullptr, "Restrictions applied to the client's address and name"},
    {"smtpd_helo_restrictions", kList, "", 0, nullptr, "Restrictions applied to the HELO/EHLO name"},
    {"smtpd_sender_restrictions", kList, "", 0, nullptr, "Restrictions applied to MAIL FROM"},
    {"smtpd_relay_restrictions", kList, "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination", 0, nullptr, "Relay control at RCPT TO, before smtpd_recipient_restrictions"},
    {"smtpd_recipient_restrictions", kList, "permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination", 0, nullptr, "Restrictions applied to RCPT TO"},
    {"smtpd_data_restrictions", kList, "", 0, nullptr, "Restrictions applied to DATA"},
    // Content inspection (header_checks(5)), in smtpd before the queue file is committed
    {"header_checks", kList, "", 0, nullptr, "regexp: or pcre: tables applied to each message header (unfolded)"},
    {"mime_header_checks", kList, "$header_checks", 0, nullptr, "Tables applied to the message's MIME headers (Content-*, MIME-Version)"},
    {"nested_header_checks", kList, "$header_checks", 0, nullptr, "Tables for headers of attached messages: validated, not applied (no MIME parsing)"},
    {"body_checks", kList, "", 0, nullptr, "regexp: or pcre: tables applied to each body line"},
    {"body_checks_size_limit", kSize, "51200", 0, nullptr, "Bytes of the body inspected by body_checks"},
    {"parent_domain_matches_subdomains", kList, "debug_peer_list, fast_flush_domains, mynetworks, permit_mbox_mail_to, relay_domains, smtpd_access_maps", 0, nullptr, "Where a domain also matches its subdomains; Tern reads smtpd_access_maps (access tables)"},
    {"smtpd_null_access_lookup_key", kString, "<>", 0, nullptr, "Key under which check_sender_access looks up the null sender"},
    {"reject_code", kInt, "554", 0, check_reply_code, "Reply code of the reject restriction"},
    {"defer_code", kInt, "450", 0, check_reply_code, "Reply code of the defer restriction"},
    {"access_map_reject_code", kInt, "554", 0, check_reply_code, "Reply code of REJECT in an access table"},
    {"access_map_defer_code", kInt, "450", 0, check_reply_code, "Reply code of DEFER in an access table"},
    {"unknown_address_reject_code", kInt, "450", 0, check_reply_code, "Reply code of reject_unknown_sender_domain and reject_unknown_recipient_domain"},
    {"maps_rbl_reject_code", kInt, "554", 0, check_reply_code, "Reply code of reject_rbl_client"},
    {"non_fqdn_reject_code", kInt, "504", 0, check_reply_code, "Reply code of the reject_non_fqdn_* restrictions"},
    {"invalid_hostname_reject_code", kInt, "501", 0, check_reply_code, "Reply code of reject_invalid_helo_hostname"},
    // SMTP server: TLS
    {"smtpd_tls_security_level", kString, "", 0, check_smtpd_tls_level, "Server TLS: none, may (offer STARTTLS) or encrypt (require it); empty: none"},
    {"smtpd_tls_cert_file", kString, "", 0, nullptr, "PEM server certificate (chain) file"},
    {"smtpd_tls_key_file", kString, "", 0, nullptr, "PEM private key file for smtpd_tls_cert_file"},
    {"smtpd_tls_auth_only", kBool, "yes", 0, nullptr, "Offer AUTH only over TLS (Tern's default; Postfix's is no)"},
    {"smtpd_tls_loglevel", kInt, "0", 0, nullptr, "TLS logging in the server: 0 none, 1 summary, 2 negotiation"},
    {"smtpd_tls_received_header", kBool, "no", 0, nullptr, "Add the TLS protocol and cipher to the Received: header"},
    {"smtpd_starttls_timeout", kTime, "300s", 's', nullptr, "Time limit for the server's TLS handshake"},
    // SMTP server: authentication
    {"smtpd_sasl_auth_enable", kBool, "no", 0, nullptr, "Offer SMTP AUTH to clients"},
    {"smtpd_sasl_security_options", kList, "noanonymous", 0, nullptr, "AUTH mechanism restrictions without TLS"},
    {"smtpd_sasl_tls_security_options", kList, "$smtpd_sasl_security_options", 0, nullptr, "AUTH mechanism restrictions over TLS"},
    {"smtpd_sender_login_maps", kList, "", 0, nullptr, "Table of sender address -> logins allowed to use it"},
    {"smtpd_sasl_type", kString, "tern", 0, check_sasl_type, "Who checks SMTP AUTH passwords: tern (sasl_password_file) or dovecot (Dovecot's auth service at smtpd_sasl_path)"},
    {"smtpd_sasl_path", kString, "private/auth", 0, nullptr, "smtpd_sasl_type = dovecot: Dovecot's auth socket (a relative path is under spool_directory, as Postfix's is under its queue directory)"},
    {"sasl_password_file", kString, "$config_directory/sasl_passwd", 0, nullptr, "Users and argon2id hashes for SMTP AUTH (ternctl passwd)"},
    // SMTP client
    {"smtp_bind_address", kString, "", 0, nullptr, "Local IPv4 address for outbound connections; empty: any"},
    {"smtp_helo_name", kString, "$myhostname", 0, nullptr, "Name sent in HELO/EHLO"},
    {"smtp_connect_timeout", kTime, "30s", 's', nullptr, "Time limit for a TCP connection to a remote server"},
    {"smtp_helo_timeout", kTime, "300s", 's', nullptr, "Time limit for the greeting and the HELO/EHLO reply"},
    {"smtp_mail_timeout", kTime, "300s", 's', nullptr, "Time limit for the MAIL FROM reply"},
    {"smtp_rcpt_timeout", kTime, "300s", 's', nullptr, "Time limit for a RCPT TO reply"},
    {"smtp_data_init_timeout", kTime, "120s", 's', nullptr, "Time limit for the DATA reply"},
    {"smtp_data_xfer_timeout", kTime, "180s", 's', nullptr, "Time limit for sending message content"},
    {"smtp_data_done_timeout", kTime, "600s", 's', nullptr, "Time limit for the reply to the final '.'"},
    {"smtp_quit_timeout", kTime, "300s", 's', nullptr, "Time limit for the QUIT reply"},
    {"smtp_mx_address_limit", kInt, "5", 0, nullptr, "Most MX addresses tried per delivery; 0: no limit"},
    {"smtp_mx_session_limit", kInt, "2", 0, nullptr, "Most SMTP sessions tried per delivery; 0: no limit"},
    // SMTP client: TLS
    {"smtp_tls_security_level", kString, "may", 0, check_smtp_tls_level, "Client TLS: none, may, encrypt, dane, verify or secure (Postfix's default is empty)"},
    {"smtp_tls_policy_maps", kList, "", 0, nullptr, "Table of destination -> TLS security level"},
    {"smtp_tls_CAfile", kString, "", 0, nullptr, "PEM CA certificates for verify and secure; empty: the system's"},
    {"smtp_tls_CApath", kString, "", 0, nullptr, "Directory of CA certificates for verify and secure; empty: the system's"},
    {"smtp_tls_loglevel", kInt, "0", 0, nullptr, "TLS logging in the client: 0 none, 1 summary, 2 negotiation"},
    {"smtp_starttls_timeout", kTime, "300s", 's', nullptr, "Time limit for the client's TLS handshake"},
    // SMTP client: authentication
    {"smtp_sasl_auth_enable", kBool, "no", 0, nullptr, "Authenticate to remote servers (relayhost)"},
    {"smtp_sasl_password_maps", kList, "", 0, nullptr, "Table of destination -> username:password"},
    {"smtp_sasl_security_options", kList, "noplaintext, noanonymous", 0, nullptr, "AUTH mechanism restrictions without TLS"},
    {"smtp_sasl_tls_security_options", kList, "noanonymous", 0, nullptr, "AUTH mechanism restrictions over TLS"},
    {"smtp_connection_cache_time_limit", kTime, "2s", 's', nullptr, "How long an idle outbound SMTP connection is kept for reuse"},
    {"smtp_connection_reuse_count_limit", kInt, "0", 0, nullptr, "Most transactions over one outbound connection; 0: no limit"},
    // DNS
    {"dns_nameservers", kList, "", 0, check_nameservers, "Resolvers as ip[:port]; empty: those in /etc/resolv.conf"},
    {"dns_trusted_resolver", kBool, "no", 0, nullptr, "Trust the resolvers' DNSSEC AD bit (needed for DANE)"},
    // Queue
    {"minimal_backoff_time", kTime, "300s", 's', nullptr, "Shortest wait before retrying a deferred message"},
    {"maximal_backoff_time", kTime, "4000s", 's', nullptr, "Longest wait before retrying a deferred message"},
    {"queue_run_delay", kTime, "300s", 's', nullptr, "How often the deferred queue is scanned"},
    {"maximal_queue_lifetime", kTime, "5d", 'd', nullptr, "Time a message may stay queued before it bounces"},
    {"bounce_queue_lifetime", kTime, "5d", 'd', nullptr, "Time a bounce may stay queued before it is dropped"},
    {"delay_warning_time", kTime, "0h", 'h', nullptr, "Warn the sender after a message is delayed this long; 0: never"},
    {"default_destination_concurrency_limit", kInt, "20", 0, nullptr, "Most parallel deliveries to one destination"},
    {"initial_destination_concurrency", kInt, "5", 0, nullptr, "Parallel deliveries to a destination before it has proven itself"},
    {"default_destination_recipient_limit", kInt, "50", 0, nullptr, "Most recipients per delivery"},
    {"default_destination_rate_delay", kTime, "0s", 's', nullptr, "Pause between deliveries to one destination; 0: none"},
    {"queue_minfree", kSize, "0", 0, nullptr, "Free bytes the spool file system must keep to accept mail; 0: only message_size_limit"},
    {"soft_bounce", kBool, "no", 0, nullptr, "Defer instead of bounce (5xx becomes 4xx), for testing"},
    {"hopcount_limit", kInt, "50", 0, nullptr, "Most Received: headers before a message is bounced as a loop"},
    // Bounces and notices
    {"bounce_size_limit", kSize, "50000", 0, nullptr, "Most bytes of the original message returned in a bounce"},
    {"double_bounce_sender", kString, "double-bounce", 0, nullptr, "Sender of bounces; mail to it is discarded"},
    {"notify_classes", kList, "resource, software", 0, nullptr, "Problem classes reported to the postmaster (also bounce, 2bounce, delay, policy, protocol)"},
    {"bounce_notice_recipient", kString, "postmaster", 0, nullptr, "Recipient of notices of class bounce"},
    {"2bounce_notice_recipient", kString, "postmaster", 0, nullptr, "Recipient of undeliverable bounces (class 2bounce)"},
    {"delay_notice_recipient", kString, "postmaster", 0, nullptr, "Recipient of notices of class delay"},
    {"error_notice_recipient", kString, "postmaster", 0, nullptr, "Recipient of notices of classes policy, protocol, resource and software"},
    // Local delivery
    {"alias_maps", kList, "hash:/etc/aliases", 0, nullptr, "Alias tables for local delivery (read directly: no newaliases step needed)"},
    {"alias_database", kList, "hash:/etc/aliases", 0, nullptr, "Alias tables that newaliases rebuilds (Postfix compatibility)"},
    {"local_recipient_maps", kList, "proxy:unix:passwd.byname $alias_maps", 0, nullptr, "Tables of valid local recipients; empty: accept any"},
    {"mailbox_command", kString, "", 0, nullptr, "Command that delivers to a local user's mailbox (procmail, dovecot-lda), run as the user; before home_mailbox; used as written (no $name expansion: $SENDER, $RECIPIENT, $EXTENSION, $HOME, $USER are the shell's, from the environment)"},
    {"home_mailbox", kString, "", 0, nullptr, "Mailbox relative to the home directory (ending in / for Maildir); empty: mail_spool_directory"},
    {"mail_spool_directory", kString, "/var/mail", 0, nullptr, "Directory of mbox files (ending in / for Maildir)"},
    {"mailbox_size_limit", kSize, "51200000", 0, nullptr, "Largest mailbox or Maildir file, in bytes; 0: no limit"},
    {"recipient_delimiter", kString, "", 0, nullptr, "Characters separating user and extension (user+ext); empty: none"},
    {"forward_path", kList, "$home/.forward${recipient_delimiter}${extension}, $home/.forward", 0, nullptr, "Where local looks for a user's .forward file, first found wins ($home, $user, $shell, $recipient, $extension, $domain, $local expand per recipient); empty: no .forward"},
    {"allow_mail_to_commands", kList, "alias, forward", 0, nullptr, "Where delivery to |command is allowed (alias, forward, include)"},
    {"allow_mail_to_files", kList, "alias, forward", 0, nullptr, "Where delivery to /file is allowed (alias, forward, include)"},
    {"default_privs", kString, "nobody", 0, nullptr, "User that alias /file and |command targets run as when the alias file is owned by root"},
    {"command_time_limit", kTime, "1000s", 's', nullptr, "Time an alias |command delivery may take before it is killed"},
    {"biff", kBool, "no", 0, nullptr, "Notify the local biff service of new mail"},
    // Virtual mailboxes and aliases
    {"virtual_mailbox_domains", kList, "$virtual_mailbox_maps", 0, nullptr, "Domains whose users have virtual mailboxes"},
    {"virtual_transport", kString, "virtual", 0, nullptr, "How virtual mailboxes are delivered: virtual (Maildir/mbox under virtual_mailbox_base) or lmtp:unix:/path, lmtp:[host]:port (an LMTP server such as Dovecot's)"},
    {"virtual_mailbox_base", kString, "", 0, nullptr, "Directory prefixed to virtual_mailbox_maps results"},
    {"virtual_mailbox_maps", kList, "", 0, nullptr, "Table of address -> mailbox path under virtual_mailbox_base (trailing /: Maildir)"},
    {"virtual_mailbox_limit", kSize, "51200000", 0, nullptr, "Largest virtual mailbox or Maildir file, in bytes; 0: no limit"},
    {"virtual_alias_domains", kList, "$virtual_alias_maps", 0, nullptr, "Domains whose addresses are all aliases"},
    {"virtual_alias_maps", kList, "", 0, nullptr, "Table of address -> addresses, for any domain"},
    {"virtual_alias_recursion_limit", kInt, "1000", 0, nullptr, "Maximal nesting depth of virtual alias expansion"},
    {"virtual_alias_expansion_limit", kInt, "1000", 0, nullptr, "Maximal number of addresses one virtual alias expansion may produce"},
    {"virtual_uid_maps", kList, "", 0, nullptr, "Table of address -> user id owning the virtual mailbox (static:N for all)"},
    {"virtual_gid_maps", kList, "", 0, nullptr, "Table of address -> group id of the virtual mailbox (static:N for all)"},
    {"virtual_minimum_uid", kInt, "100", 0, nullptr, "Lowest user id a virtual mailbox may be delivered as"},
};

struct Alias {
  std::string_view name;
  std::string_view canonical;
};
constexpr Alias kAliases[] = {{"queue_directory", "spool_directory"}};

}  // namespace

std::span<const Parameter> parameters() { return kParameters; }

const Parameter* find_parameter(std::string_view name) {
  static const std::unordered_map<std::string_view, const Parameter*> by_name = [] {
    std::unordered_map<std::string_view, const Parameter*> map;
    for (const Parameter& p : kParameters) map.emplace(p.name, &p);
    return map;
  }();
  auto it = by_name.find(name);
  return it == by_name.end() ? nullptr : it->second;
}

std::string_view canonical_name(std::string_view name) {
  for (const Alias& a : kAliases)
    if (a.name == name) return a.canonical;
  return name;
}

}  // namespace tern::config

// Tests for Config's look-ups: expansion with defaults, typed getters, the
// queue_directory/spool_directory alias, all(), and the parameter table itself.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/config.h"
#include "common/config/hostname.h"
#include "common/config/lines.h"
#include "common/config/parameters.h"
#include "tern_build_config.h"
#include "tests/unit/config/test_util.h"

namespace tern::config {
namespace {

using testing::must_parse;

struct GetCase {
  std::string_view name;
  std::string_view input;
  std::string_view parameter;
  std::string_view want;
};

TEST_SUITE("config.lookup") {
  TEST_CASE("get expands $name at look-up time, with defaults") {
    const GetCase cases[] = {
        {"default", "", "mail_name", "Tern"},
        {"set", "mail_name = Kite", "mail_name", "Kite"},
        {"default referring to a set value", "myhostname = mail.example.com", "smtpd_banner",
         "mail.example.com ESMTP Tern"},
        {"default referring to two set values", "myhostname = mx.example.org\nmail_name = X",
         "smtpd_banner", "mx.example.org ESMTP X"},
        {"default chain", "myhostname = mail.example.com", "myorigin", "mail.example.com"},
        {"mydestination", "myhostname = mail.example.com", "mydestination",
         "mail.example.com, localhost.example.com, localhost"},
        {"mydomain from myhostname", "myhostname = mail.example.com", "mydomain", "example.com"},
        {"mydomain from a longer myhostname", "myhostname = a.b.example.com", "mydomain",
         "b.example.com"},
        {"mydomain when myhostname is a domain (Postfix)", "myhostname = example.com", "mydomain",
         "localdomain"},
        {"mydomain from an expanded myhostname", "m = mx.example.net\nmyhostname = $m",
         "mydomain", "example.net"},
        {"mydomain set", "myhostname = mail.example.com\nmydomain = example.org", "mydomain",
         "example.org"},
        {"order does not matter", "smtpd_banner = $mail_name\nmail_name = Later", "smtpd_banner",
         "Later"},
        {"nested user parameters", "a = $b\nb = ${c}!\nc = deep\nsmtpd_banner = <$a>",
         "smtpd_banner", "<deep!>"},
        {"set value referring to a default", "smtpd_banner = $mail_name ready", "smtpd_banner",
         "Tern ready"},
        {"$$", "smtpd_banner = cost $$5 $$mail_name", "smtpd_banner", "cost $5 $mail_name"},
        {"undefined is empty", "smtpd_banner = [$nosuch]", "smtpd_banner", "[]"},
        {"? when set", "relayhost = [smart]:587\nsmtpd_banner = ${relayhost?relay $relayhost}",
         "smtpd_banner", "relay [smart]:587"},
        {"? when empty", "smtpd_banner = x${relayhost?relay}", "smtpd_banner", "x"},
        {": when empty", "smtpd_banner = ${relayhost:direct}", "smtpd_banner", "direct"},
        {": when set", "relayhost = r\nsmtpd_banner = x${relayhost:direct}", "smtpd_banner", "x"},
        {"?{}:{}", "smtpd_banner = ${relayhost?{relay}:{direct}}", "smtpd_banner", "direct"},
        {"virtual_mailbox_domains follows the maps", "virtual_mailbox_maps = hash:/etc/tern/vmb",
         "virtual_mailbox_domains", "hash:/etc/tern/vmb"},
        {"virtual_alias_domains follows the maps", "virtual_alias_maps = /etc/tern/valias",
         "virtual_alias_domains", "/etc/tern/valias"},
        {"local_recipient_maps uses alias_maps", "alias_maps = /etc/tern/aliases",
         "local_recipient_maps", "proxy:unix:passwd.byname /etc/tern/aliases"},
        {"sasl_password_file under config_directory", "", "sasl_password_file",
         "/etc/tern/sasl_passwd"},
        {"config_directory may be set", "config_directory = /srv/tern", "sasl_password_file",
         "/srv/tern/sasl_passwd"},
        {"smtpd_sasl_tls_security_options follows", "smtpd_sasl_security_options = noplaintext",
         "smtpd_sasl_tls_security_options", "noplaintext"},
        {"daemon_directory", "", "daemon_directory", TERN_DAEMON_DIRECTORY},
        {"config_directory of parse()", "", "config_directory", "/etc/tern"},
    };
    for (const GetCase& c : cases) {
      INFO(c.name);
      CHECK(must_parse(c.input).get(c.parameter) == c.want);
    }
  }

  TEST_CASE("myhostname defaults to the machine's name, completed with $mydomain") {
    const std::string& host = system_hostname();
    REQUIRE_FALSE(host.empty());
    bool dotted = host.find('.') != std::string::npos;
    Config defaults = Config::defaults();
    CHECK(defaults.get("myhostname") == (dotted ? host : host + ".localdomain"));
    CHECK(must_parse("mydomain = example.com").get("myhostname") ==
          (dotted ? host : host + ".example.com"));
    std::string myhostname = defaults.get("myhostname");
    std::string mydomain = defaults.get("mydomain");
    CHECK_FALSE(mydomain.empty());
    CHECK(mydomain.find('$') == std::string::npos);
    // Postfix: $myhostname minus its first label when that still has a dot, else localdomain.
    size_t dot = myhostname.find('.');
    REQUIRE(dot != std::string::npos);
    std::string rest = myhostname.substr(dot + 1);
    CHECK(mydomain == (rest.find('.') != std::string::npos ? rest : "localdomain"));
    CHECK(defaults.get("mydestination") ==
          myhostname + ", localhost." + mydomain + ", localhost");
  }

  TEST_CASE("time parameters: units and each parameter's default unit") {
    struct Case {
      std::string_view input;
      std::string_view parameter;
      int64_t want;
    };
    const Case cases[] = {
        {"", "smtpd_timeout", 300},
        {"", "minimal_backoff_time", 300},
        {"", "maximal_backoff_time", 4000},
        {"", "queue_run_delay", 300},
        {"", "maximal_queue_lifetime", 5 * 86400},
        {"", "bounce_queue_lifetime", 5 * 86400},
        {"", "delay_warning_time", 0},
        {"", "smtp_connect_timeout", 30},
        {"", "smtp_data_done_timeout", 600},
        {"", "master_restart_max_backoff", 60},
        {"", "daemon_shutdown_timeout", 10},
        {"smtpd_timeout = 30", "smtpd_timeout", 30},
        {"smtpd_timeout = 2m", "smtpd_timeout", 120},
        {"maximal_queue_lifetime = 3", "maximal_queue_lifetime", 3 * 86400},
        {"maximal_queue_lifetime = 12h", "maximal_queue_lifetime", 12 * 3600},
        {"bounce_queue_lifetime = 1w", "bounce_queue_lifetime", 7 * 86400},
        {"delay_warning_time = 4", "delay_warning_time", 4 * 3600},
        {"delay_warning_time = 30m", "delay_warning_time", 1800},
        {"minimal_backoff_time = 10", "minimal_backoff_time", 10},
        {"a = 5m\nminimal_backoff_time = $a", "minimal_backoff_time", 300},
        {"a = 2\nmaximal_queue_lifetime = $a", "maximal_queue_lifetime", 2 * 86400},
    };
    for (const Case& c : cases) {
      INFO(c.parameter, " from \"", c.input, "\"");
      CHECK(must_parse(c.input).get_time(c.parameter) == c.want);
    }
  }

  TEST_CASE("integer, size and boolean parameters") {
    Config defaults = Config::defaults();
    CHECK(defaults.get_int("message_size_limit") == 10240000);
    CHECK(defaults.get_int("mailbox_size_limit") == 51200000);
    CHECK(defaults.get_int("smtpd_recipient_limit") == 1000);
    CHECK(defaults.get_int("smtpd_process_count") == 0);
    CHECK(defaults.get_int("line_length_limit") == 2048);
    CHECK(defaults.get_bool("smtpd_sasl_auth_enable") == false);
    CHECK(defaults.get_bool("smtputf8_enable") == true);
    CHECK(defaults.get_bool("smtpd_tls_auth_only") == true);

    Config set = must_parse(
        "message_size_limit = 0\nsmtpd_recipient_limit = 9223372036854775807\n"
        "biff = YES\nsmtputf8_enable = False\ndisable_vrfy_command = true\n"
        "n = 25\nsmtpd_hard_error_limit = $n\nyes = yes\nsmtpd_helo_required = ${yes}");
    CHECK(set.get_int("message_size_limit") == 0);
    CHECK(set.get_int("smtpd_recipient_limit") == 9223372036854775807LL);
    CHECK(set.get_int("smtpd_hard_error_limit") == 25);
    CHECK(set.get_bool("biff") == true);
    CHECK(set.get_bool("smtputf8_enable") == false);
    CHECK(set.get_bool("disable_vrfy_command") == true);
    CHECK(set.get_bool("smtpd_helo_required") == true);
  }

  TEST_CASE("list parameters") {
    Config defaults = Config::defaults();
    CHECK(defaults.get_list("smtp_listen") == std::vector<std::string>{"0.0.0.0:25", "[::]:25"});
    CHECK(defaults.get_list("submission_listen") ==
          std::vector<std::string>{"0.0.0.0:587", "[::]:587"});
    CHECK(defaults.get_list("smtps_listen").empty());
    CHECK(defaults.get_list("mynetworks") == std::vector<std::string>{"127.0.0.0/8", "[::1]/128"});
    CHECK(defaults.get_list("smtpd_recipient_restrictions") ==
          std::vector<std::string>{"permit_mynetworks", "permit_sasl_authenticated",
                                   "reject_unauth_destination"});
    CHECK(defaults.get_list("virtual_mailbox_domains").empty());

    Config set = must_parse(
        "myhostname = mx.example.com\n"
        "mydestination = $myhostname,,localhost\n"
        "    example.net ,\n"
        "\texample.org\n"
        "dns_nameservers = 192.0.2.53 [::1]:5353\n"
        "smtps_listen = 127.0.0.1:465, [::1]:465\n");
    CHECK(set.get_list("mydestination") ==
          std::vector<std::string>{"mx.example.com", "localhost", "example.net", "example.org"});
    CHECK(set.get_list("dns_nameservers") == std::vector<std::string>{"192.0.2.53", "[::1]:5353"});
    CHECK(set.get_list("smtps_listen") == std::vector<std::string>{"127.0.0.1:465", "[::1]:465"});
  }

  TEST_CASE("enumerations") {
    Config defaults = Config::defaults();
    CHECK(defaults.get("log_level") == "info");
    CHECK(defaults.get("smtpd_tls_security_level") == "");
    CHECK(defaults.get("smtp_tls_security_level") == "may");
    Config set = must_parse("log_level = debug\nsmtpd_tls_security_level = encrypt\n"
                            "smtp_tls_security_level = dane");
    CHECK(set.get("log_level") == "debug");
    CHECK(set.get("smtpd_tls_security_level") == "encrypt");
    CHECK(set.get("smtp_tls_security_level") == "dane");
  }

  TEST_CASE("queue_directory and spool_directory are one parameter") {
    const GetCase cases[] = {
        {"default", "", "", "/var/spool/tern"},
        {"queue_directory set", "queue_directory = /srv/q", "", "/srv/q"},
        {"spool_directory set", "spool_directory = /srv/s", "", "/srv/s"},
        {"last wins: spool", "queue_directory = /q\nspool_directory = /s", "", "/s"},
        {"last wins: queue", "spool_directory = /s\nqueue_directory = /q", "", "/q"},
        {"through expansion", "base = /srv\nqueue_directory = $base/spool", "", "/srv/spool"},
    };
    for (const GetCase& c : cases) {
      INFO(c.name);
      Config config = must_parse(c.input);
      CHECK(config.get("queue_directory") == c.want);
      CHECK(config.get("spool_directory") == c.want);
      bool set = !c.input.empty();
      CHECK(config.is_explicit("queue_directory") == set);
      CHECK(config.is_explicit("spool_directory") == set);
    }
    Config config = must_parse("spool_directory = /s\nsmtpd_banner = $queue_directory");
    CHECK(config.get("smtpd_banner") == "/s");
    auto all = config.all(true);
    CHECK(all == std::vector<std::pair<std::string, std::string>>{
                     {"queue_directory", "/s"}, {"smtpd_banner", "/s"}, {"spool_directory", "/s"}});
  }

  TEST_CASE("is_explicit, is_known") {
    Config config = must_parse("biff = yes\nmine = 1\nsmtpd_banner = $mine");
    CHECK(config.is_explicit("biff"));
    CHECK(config.is_explicit("mine"));
    CHECK_FALSE(config.is_explicit("myhostname"));
    CHECK(Config::is_known("myhostname"));
    CHECK(Config::is_known("queue_directory"));
    CHECK(Config::is_known("2bounce_notice_recipient"));
    CHECK_FALSE(Config::is_known("mine"));
    CHECK_FALSE(Config::is_known(""));
    CHECK_FALSE(Config::is_known("MYHOSTNAME"));
  }

  TEST_CASE("all(true) lists what the file set; all(false) lists every parameter") {
    Config config = must_parse(
        "smtpd_timeout = 1m\nmine = mx\nbiff = yes\nmyhostname = $mine.example.com\n");
    CHECK(config.all(true) == std::vector<std::pair<std::string, std::string>>{
                                  {"biff", "yes"},
                                  {"mine", "mx"},
                                  {"myhostname", "mx.example.com"},
                                  {"smtpd_timeout", "1m"},
                              });
    auto all = config.all(false);
    CHECK(all.size() == parameters().size() + 1);  // every known one, and "mine"
    CHECK(std::is_sorted(all.begin(), all.end()));
    std::map<std::string, std::string> by_name(all.begin(), all.end());
    CHECK(by_name.size() == all.size());
    CHECK(by_name["biff"] == "yes");
    CHECK(by_name["mine"] == "mx");
    CHECK(by_name["smtpd_timeout"] == "1m");
    CHECK(by_name["minimal_backoff_time"] == "300s");
    CHECK(by_name["mydomain"] == "example.com");
    CHECK(by_name["smtpd_banner"] == "mx.example.com ESMTP Tern");
    CHECK(by_name["queue_directory"] == "/var/spool/tern");
    for (const Parameter& p : parameters()) CHECK(by_name.contains(p.name));

    CHECK(Config::defaults().all(true).empty());
    CHECK(Config::defaults().all(false).size() == parameters().size());
  }

  TEST_CASE("defaults(): every parameter's default is valid for its getter") {
    Config defaults = Config::defaults();
    CHECK(defaults.directory() == "");
    for (const Parameter& p : parameters()) {
      INFO(std::string_view(p.name));
      switch (p.type) {
        case Type::kTime: CHECK(defaults.get_time(p.name) >= 0); break;
        case Type::kSize:
        case Type::kInt: CHECK(defaults.get_int(p.name) >= 0); break;
        case Type::kBool: (void)defaults.get_bool(p.name); break;
        case Type::kList: (void)defaults.get_list(p.name); break;
        case Type::kString: (void)defaults.get(p.name); break;
      }
      CHECK(defaults.get(p.name).find('$') == std::string::npos);
    }
  }
}

TEST_SUITE("config.parameters") {
  TEST_CASE("the table is well formed") {
    std::set<std::string> names;
    std::set<std::string> computed;
    for (const Parameter& p : parameters()) {
      INFO(std::string_view(p.name));
      CHECK(is_valid_name(p.name));
      CHECK(names.insert(p.name).second);
      CHECK(find_parameter(p.name) == &p);
      CHECK(std::string(p.description).size() > 10);
      CHECK((p.type == Type::kTime) == (p.unit != 0));
      if (p.type == Type::kTime) CHECK(std::string("smhdw").find(p.unit) != std::string::npos);
      if (p.default_value == nullptr) computed.insert(p.name);
    }
    CHECK(computed ==
          std::set<std::string>{"config_directory", "daemon_directory", "mydomain", "myhostname"});
    CHECK(find_parameter("nosuch") == nullptr);
    CHECK(canonical_name("queue_directory") == "spool_directory");
    CHECK(canonical_name("spool_directory") == "spool_directory");
    CHECK(canonical_name("myhostname") == "myhostname");
  }

  TEST_CASE("DESIGN.md §5 parameters exist, with Postfix's defaults") {
    const char* required[] = {
        "myhostname", "mydomain", "myorigin", "mydestination", "mynetworks", "inet_interfaces",
        "relayhost", "message_size_limit", "smtpd_recipient_limit", "smtpd_timeout",
        "smtpd_client_connection_count_limit", "smtpd_tls_cert_file", "smtpd_tls_key_file",
        "smtpd_tls_security_level", "smtpd_sasl_auth_enable", "smtpd_recipient_restrictions",
        "smtpd_sender_login_maps", "smtp_tls_security_level", "smtp_tls_policy_maps",
        "smtp_sasl_password_maps", "alias_maps", "home_mailbox", "mail_spool_directory",
        "recipient_delimiter", "virtual_mailbox_domains", "virtual_mailbox_base",
        "virtual_mailbox_maps", "virtual_alias_maps", "minimal_backoff_time",
        "maximal_backoff_time", "queue_run_delay", "maximal_queue_lifetime",
        "bounce_queue_lifetime", "delay_warning_time", "default_destination_concurrency_limit",
        "queue_directory", "smtp_listen", "submission_listen", "smtps_listen", "tern_user",
        "spool_directory", "sasl_password_file", "dns_nameservers", "log_level",
    };
    for (std::string_view name : required) {
      INFO(name);
      CHECK(Config::is_known(name));
    }
    struct Default {
      std::string_view name;
      std::string_view want;
    };
    const Default postfix[] = {
        {"myorigin", "$myhostname"},
        {"mydestination", "$myhostname, localhost.$mydomain, localhost"},
        {"message_size_limit", "10240000"},
        {"smtpd_timeout", "300s"},
        {"minimal_backoff_time", "300s"},
        {"maximal_backoff_time", "4000s"},
        {"maximal_queue_lifetime", "5d"},
        {"delay_warning_time", "0h"},
        {"default_destination_concurrency_limit", "20"},
        {"smtpd_banner", "$myhostname ESMTP $mail_name"},
        {"virtual_mailbox_domains", "$virtual_mailbox_maps"},
        {"2bounce_notice_recipient", "postmaster"},
    };
    for (const Default& d : postfix) {
      INFO(d.name);
      REQUIRE(find_parameter(d.name) != nullptr);
      CHECK(std::string(find_parameter(d.name)->default_value) == d.want);
    }
  }
}

}  // namespace
}  // namespace tern::config

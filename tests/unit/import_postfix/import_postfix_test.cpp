// Tests for import_postfix: the main.cf Debian 12's postfix package writes ("Internet
// Site", fixtures in debian12/) and a hand-written one with virtual domains, a relayhost and
// TLS (virtual/) become a tern.conf that loads without errors and means the same.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "ctl/commands/import_postfix.h"
#include "tests/unit/import_postfix/import_postfix_test_paths.h"

namespace tern::ctl {
namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(TERN_IMPORT_POSTFIX_FIXTURES) + "/" + name);
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The conversion of main.cf text, with master.cf and a fake /etc/mailname.
std::string convert(const std::string& main_cf, std::optional<std::string> master_cf) {
  PostfixFiles files;
  files.main_cf_path = "/etc/postfix/main.cf";
  files.main_cf = main_cf;
  files.master_cf = std::move(master_cf);
  files.read_file = [](const std::string& path) -> std::optional<std::string> {
    if (path == "/etc/mailname") return std::string("mail.example.org\n");
    return std::nullopt;
  };
  return import_postfix(files);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

bool has_line(const std::string& text, const std::string& line) {
  for (const std::string& l : lines_of(text))
    if (l == line) return true;
  return false;
}

// The output has `setting` commented out, right after an import-postfix line holding why.
bool commented_because(const std::string& text, const std::string& setting, const std::string& why) {
  std::vector<std::string> lines = lines_of(text);
  for (size_t i = 1; i < lines.size(); ++i)
    if (lines[i] == "#" + setting && lines[i - 1].starts_with("# import-postfix:") &&
        lines[i - 1].find(why) != std::string::npos)
      return true;
  return false;
}

// Loads as tern.conf with no errors and no warnings.
config::Config load_clean(const std::string& text) {
  std::vector<config::Diagnostic> warnings;
  auto config = config::Config::parse(text, "tern.conf", &warnings);
  INFO(text);
  REQUIRE_MESSAGE(config.has_value(), (config ? "" : config.error().message));
  for (const auto& w : warnings) INFO(w.to_string());
  CHECK(warnings.empty());
  return *config;
}

// The fixtures and their conversions, read on first use (inside a test, where REQUIRE works).
struct Converted {
  std::string main_cf, text;
};
const Converted& converted(const std::string& dir) {
  static std::map<std::string, Converted> cache;
  auto it = cache.find(dir);
  if (it == cache.end()) {
    std::string main_cf = fixture(dir + "/main.cf");
    it = cache.emplace(dir, Converted{main_cf, convert(main_cf, fixture(dir + "/master.cf"))}).first;
  }
  return it->second;
}

TEST_SUITE("import_postfix.debian12") {

  TEST_CASE("every setting is carried over or commented out, nothing lost") {
    const std::string& main_cf = converted("debian12").main_cf;
    const std::string& text = converted("debian12").text;
    (void)main_cf;
    for (const std::string& line : lines_of(main_cf)) {
      INFO(line);
      if (line.empty() || line[0] == '#') {
        CHECK(has_line(text, line));
      } else {
        CHECK((has_line(text, line) || has_line(text, "#" + line)));
      }
    }
  }

  TEST_CASE("what Tern understands is kept as written") {
    const std::string& main_cf = converted("debian12").main_cf;
    const std::string& text = converted("debian12").text;
    (void)main_cf;
    const char* kept[] = {
        "smtpd_banner = $myhostname ESMTP $mail_name (Debian/GNU)",
        "biff = no",
        "smtpd_tls_cert_file=/etc/ssl/certs/ssl-cert-snakeoil.pem",
        "smtpd_tls_key_file=/etc/ssl/private/ssl-cert-snakeoil.key",
        "smtpd_tls_security_level=may",
        "smtp_tls_CApath=/etc/ssl/certs",
        "smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated defer_unauth_destination",
        "alias_maps = hash:/etc/aliases",
        "mydestination = $myhostname, mail.example.org, localhost, localhost.localdomain, localhost",
        "mynetworks = 127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128",
        "mailbox_size_limit = 0",
        "recipient_delimiter = +",
        "inet_interfaces = all",
    };
    for (const char* line : kept) {
      INFO(std::string(line));
      CHECK(has_line(text, line));
    }
  }

  TEST_CASE("Postfix-only settings are comments with a reason") {
    const std::string& main_cf = converted("debian12").main_cf;
    const std::string& text = converted("debian12").text;
    (void)main_cf;
    struct Row {
      const char* setting;
      const char* why;
    };
    const Row rows[] = {
        {"compatibility_level = 3.6", "compatibility"},
        {"readme_directory = no", "Postfix installation path"},
        {"append_dot_mydomain = no", "never appends"},
        {"smtp_tls_session_cache_database = btree:${data_directory}/smtp_scache", "TLS session cache"},
        {"inet_protocols = all", "smtp_listen"},
        {"myorigin = /etc/mailname", "/etc/mailname"},
    };
    for (const Row& row : rows) {
      INFO(std::string(row.setting));
      CHECK(commented_because(text, row.setting, row.why));
    }
  }

  TEST_CASE("the result loads and means what Postfix meant") {
    const std::string& main_cf = converted("debian12").main_cf;
    const std::string& text = converted("debian12").text;
    (void)main_cf;
    config::Config c = load_clean(text);
    CHECK(c.get("myorigin") == "mail.example.org");  // read from /etc/mailname
    CHECK(c.get("smtp_listen") == "0.0.0.0:25 [::]:25");
    CHECK(c.get("submission_listen") == "");          // not enabled in Debian's master.cf
    CHECK(c.get("smtps_listen") == "");
    CHECK(c.get("smtpd_tls_security_level") == "may");
    CHECK(c.get("myhostname") == "vm");
    CHECK(c.get("mailbox_size_limit") == "0");
    CHECK(c.get_list("alias_maps") == std::vector<std::string>{"hash:/etc/aliases"});
    CHECK(c.get("spool_directory") == "/var/spool/tern");
  }
}

TEST_SUITE("import_postfix.virtual") {

  TEST_CASE("continuation lines and $macros are kept as written") {
    const std::string& main_cf = converted("virtual").main_cf;
    const std::string& text = converted("virtual").text;
    (void)main_cf;
    CHECK(text.find("virtual_mailbox_domains = example.net,\n    example.org\n") != std::string::npos);
    CHECK(text.find("smtpd_recipient_restrictions = permit_mynetworks,\n    permit_sasl_authenticated,\n"
                    "    reject_unauth_destination\n") != std::string::npos);
    CHECK(has_line(text, "virtual_mailbox_base = $vmail_home"));
    CHECK(has_line(text, "vmail_home = /srv/vmail"));  // the administrator's own, referred to
  }

  TEST_CASE("unsupported tables are dropped, the rest kept") {
    const std::string& main_cf = converted("virtual").main_cf;
    const std::string& text = converted("virtual").text;
    (void)main_cf;
    CHECK(has_line(text, "#    mysql:/etc/postfix/mysql-aliases.cf"));
    CHECK(has_line(text, "virtual_alias_maps = hash:/etc/postfix/virtual"));
  }

  TEST_CASE("Postfix-only settings are comments with a reason") {
    const std::string& main_cf = converted("virtual").main_cf;
    const std::string& text = converted("virtual").text;
    (void)main_cf;
    struct Row {
      const char* setting;
      const char* why;
    };
    const Row rows[] = {
        {"smtpd_sasl_type = dovecot", "sasl_password_file"},
        {"smtpd_sasl_path = private/auth", "sasl_password_file"},
        {"smtpd_milters = inet:localhost:8891", "milters"},
        {"virtual_transport = lmtp:unix:private/dovecot-lmtp", "transport"},
        {"queue_directory = /var/spool/postfix", "Postfix's own queue"},
        {"smtpd_tls_mandatory_protocols = !SSLv2, !SSLv3, !TLSv1, !TLSv1.1", "unknown to Tern"},
        {"smtpd_tls_session_cache_database = btree:${data_directory}/smtpd_scache", "TLS session cache"},
    };
    for (const Row& row : rows) {
      INFO(std::string(row.setting));
      CHECK(commented_because(text, row.setting, row.why));
    }
  }

  TEST_CASE("the result loads and means what Postfix meant") {
    const std::string& main_cf = converted("virtual").main_cf;
    const std::string& text = converted("virtual").text;
    (void)main_cf;
    config::Config c = load_clean(text);
    CHECK(c.get("relayhost") == "[smtp.provider.example]:587");
    CHECK(c.get_bool("smtp_sasl_auth_enable"));
    CHECK(c.get_list("smtp_sasl_password_maps") == std::vector<std::string>{"hash:/etc/postfix/sasl_passwd"});
    CHECK(c.get("smtp_tls_security_level") == "encrypt");
    CHECK(c.get("smtpd_tls_cert_file") == "/etc/letsencrypt/live/mx1.example.com/fullchain.pem");
    CHECK(c.get_list("virtual_mailbox_domains") == std::vector<std::string>{"example.net", "example.org"});
    CHECK(c.get("virtual_mailbox_base") == "/srv/vmail");
    CHECK(c.get("myorigin") == "example.com");
    CHECK(c.get_int("message_size_limit") == 52428800);
    CHECK(c.get_time("maximal_queue_lifetime") == 3 * 86400);
    CHECK(c.get_time("delay_warning_time") == 4 * 3600);
    CHECK(c.get("spool_directory") == "/var/spool/tern");
    // inet_interfaces = loopback-only, 192.0.2.10 and inet_protocols = ipv4, with
    // submission and submissions (wrapper mode) enabled in master.cf.
    CHECK(c.get("smtp_listen") == "127.0.0.1:25 192.0.2.10:25");
    CHECK(c.get("submission_listen") == "127.0.0.1:587 192.0.2.10:587");
    CHECK(c.get("smtps_listen") == "127.0.0.1:465 192.0.2.10:465");
  }
}

TEST_SUITE("import_postfix.edges") {
  TEST_CASE("table") {
    struct Row {
      const char* name;
      const char* main_cf;
      const char* want_line;  // a line of the output
    };
    const Row rows[] = {
        {"a value Tern refuses", "smtp_tls_security_level = fingerprint\n",
         "#smtp_tls_security_level = fingerprint"},
        {"refused with its reason", "smtp_tls_security_level = fingerprint\n",
         "# import-postfix: not carried over: Tern refuses the value"},
        {"a bad time", "maximal_backoff_time = soon\n", "#maximal_backoff_time = soon"},
        {"no '='", "just words\n", "#just words"},
        {"orphan continuation", "   leading = blank\n", "#   leading = blank"},
        {"unreadable myorigin file", "myorigin = /nonexistent/mailname\n", "#myorigin = /nonexistent/mailname"},
        {"Postfix's daemon_directory", "daemon_directory = /usr/lib/postfix/sbin\n",
         "#daemon_directory = /usr/lib/postfix/sbin"},
        {"only unsupported tables", "virtual_alias_maps = pcre:/etc/postfix/v.pcre\n",
         "#virtual_alias_maps = pcre:/etc/postfix/v.pcre"},
        {"an own parameter nobody uses", "my_thing = 1\n", "#my_thing = 1"},
        {"smtp_listen set by hand wins", "smtp_listen = 127.0.0.1:2525\n", "smtp_listen = 127.0.0.1:2525"},
    };
    for (const Row& row : rows) {
      INFO(std::string(row.name));
      std::string text = convert(row.main_cf, std::nullopt);
      INFO(text);
      bool found = false;
      for (const std::string& l : lines_of(text)) found = found || l.starts_with(row.want_line);
      CHECK(found);
      CHECK(config::Config::parse(text, "tern.conf").has_value());
    }
  }

  TEST_CASE("a listener set by hand is not set twice") {
    std::string text = convert("smtp_listen = 127.0.0.1:2525\n", std::nullopt);
    CHECK(text.find("smtp_listen = 0.0.0.0") == std::string::npos);
  }
}

}  // namespace
}  // namespace tern::ctl

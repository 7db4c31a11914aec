// Tests for postfix_listeners: inet_interfaces, inet_protocols and master.cf -> the
// smtp_listen, submission_listen and smtps_listen values.
#include <doctest/doctest.h>

#include <optional>
#include <string>

#include "ctl/commands/postfix_listeners.h"

namespace tern::ctl {
namespace {

const char* const kDefaultMaster =
    "smtp      inet  n       -       y       -       -       smtpd\n"
    "#submission inet n       -       y       -       -       smtpd\n"
    "pickup    unix  n       -       y       60      1       pickup\n";
const char* const kAllServices =
    "smtp      inet  n       -       y       -       1       postscreen\n"
    "smtpd     pass  -       -       y       -       -       smtpd\n"
    "submission inet n       -       y       -       -       smtpd\n"
    "  -o smtpd_tls_security_level=encrypt\n"
    "custom-tls inet n - y - - smtpd\n"
    "465       inet  n       -       y       -       -       smtpd\n"
    "  -o smtpd_tls_wrappermode=yes\n";

TEST_SUITE("import_postfix.listeners") {
  TEST_CASE("table") {
    struct Row {
      const char* name;
      const char* interfaces;
      const char* protocols;
      std::optional<std::string> master_cf;
      const char* smtp;
      const char* submission;
      const char* smtps;
    };
    const Row rows[] = {
        {"debian default", "all", "all", kDefaultMaster, "0.0.0.0:25 [::]:25", "", ""},
        {"no master.cf", "all", "all", std::nullopt, "0.0.0.0:25 [::]:25", "", ""},
        {"loopback-only", "loopback-only", "all", kDefaultMaster, "127.0.0.1:25 [::1]:25", "", ""},
        {"ipv4 only", "all", "ipv4", kDefaultMaster, "0.0.0.0:25", "", ""},
        {"ipv6 only", "all", "ipv6", kDefaultMaster, "[::]:25", "", ""},
        {"both named", "all", "ipv4, ipv6", kDefaultMaster, "0.0.0.0:25 [::]:25", "", ""},
        {"addresses", "192.0.2.1, 2001:db8::1", "all", kDefaultMaster, "192.0.2.1:25 [2001:db8::1]:25", "", ""},
        {"host name skipped", "mail.example.com, 192.0.2.1", "all", kDefaultMaster, "192.0.2.1:25", "", ""},
        {"postscreen, submission, wrapper mode", "127.0.0.1", "all", kAllServices,
         "127.0.0.1:25", "127.0.0.1:587", "127.0.0.1:465"},
        {"host in master.cf", "all", "all", std::string("192.0.2.7:smtp inet n - y - - smtpd\n"),
         "192.0.2.7:25", "", ""},
        {"other port is smtp", "loopback-only", "ipv4", std::string("2525 inet n - y - - smtpd\n"),
         "127.0.0.1:2525", "", ""},
        {"smtp disabled", "all", "all", std::string("#smtp inet n - y - - smtpd\n"), "", "", ""},
    };
    for (const Row& row : rows) {
      INFO(std::string(row.name));
      Listeners l = postfix_listeners(row.interfaces, row.protocols, row.master_cf);
      CHECK(l.smtp == row.smtp);
      CHECK(l.submission == row.submission);
      CHECK(l.smtps == row.smtps);
    }
  }

  TEST_CASE("what is skipped is explained") {
    Listeners l = postfix_listeners("mail.example.com, 192.0.2.1", "all", std::string(kAllServices));
    std::string notes;
    for (const auto& n : l.notes) notes += n + "\n";
    CHECK(notes.find("host name \"mail.example.com\" not resolved") != std::string::npos);
    CHECK(notes.find("\"custom-tls\": unknown port name") != std::string::npos);
    CHECK(notes.find("-o name=value") != std::string::npos);
  }
}

}  // namespace
}  // namespace tern::ctl

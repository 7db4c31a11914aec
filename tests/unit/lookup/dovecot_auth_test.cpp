// Tests for the Dovecot auth protocol lines: the AUTH request, the answers, the handshake.
#include <doctest/doctest.h>
#include <sodium.h>

#include <string>
#include <vector>

#include "lookup/dovecot_auth.h"

namespace tern::lookup {
namespace {

std::string base64(std::string_view bin) {
  std::string out(sodium_base64_ENCODED_LEN(bin.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bin.data()), bin.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.find('\0'));
  return out;
}

TEST_SUITE("lookup.dovecot_auth") {
  TEST_CASE("the AUTH line carries PLAIN's response, secured and the client address") {
    DovecotAuthRequest r{"ann@example.org", "p\tw\nd", true, "192.0.2.7"};
    CHECK(dovecot_auth_line(7, r) == "AUTH\t7\tPLAIN\tservice=smtp\tnologin\tsecured\trip=192.0.2.7\tresp=" +
                                         base64(std::string("\0ann@example.org\0p\tw\nd", 22)) + "\n");
    r.secured = false;
    r.client_address = "not\tan address";  // never copied into the tab-separated line
    CHECK(dovecot_auth_line(1, r) == "AUTH\t1\tPLAIN\tservice=smtp\tnologin\tresp=" +
                                         base64(std::string("\0ann@example.org\0p\tw\nd", 22)) + "\n");
  }

  TEST_CASE("answers") {
    bool answered = false;
    CHECK(dovecot_auth_reply("OK\t1\tuser=ann", 1, &answered).verdict == AuthVerdict::kOk);
    CHECK(answered);
    auto fail = dovecot_auth_reply("FAIL\t1\tuser=ann\treason=Password expired", 1, &answered);
    CHECK(fail.verdict == AuthVerdict::kFail);
    CHECK(fail.reason == "Password expired");
    CHECK(dovecot_auth_reply("FAIL\t1\ttemp", 1, &answered).verdict == AuthVerdict::kTempFail);
    CHECK(dovecot_auth_reply("CONT\t1\tabc", 1, &answered).verdict == AuthVerdict::kFail);
    CHECK(dovecot_auth_reply("OK\t2", 1, &answered).verdict == AuthVerdict::kTempFail);
    CHECK_FALSE(answered);
  }

  TEST_CASE("handshake") {
    CHECK(dovecot_handshake_problem({"VERSION\t1\t2", "MECH\tPLAIN\tplaintext", "MECH\tLOGIN\tplaintext", "SPID\t9"}) == "");
    CHECK(dovecot_handshake_problem({"VERSION\t2\t0", "MECH\tPLAIN"}) == "Dovecot auth speaks protocol version 2, not 1");
    CHECK(dovecot_handshake_problem({"VERSION\t1\t2", "MECH\tCRAM-MD5"}) ==
          "Dovecot auth does not offer PLAIN (auth_mechanisms)");
    CHECK(dovecot_handshake_problem({}) == "no VERSION from Dovecot auth");
  }
}

}  // namespace
}  // namespace tern::lookup

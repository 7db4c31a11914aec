// smtpd.sasl: base64 and SASL PLAIN.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "smtpd/sasl.h"

namespace tern::smtpd {
namespace {

TEST_SUITE("smtpd.sasl") {
  TEST_CASE("base64 round trip") {
    for (std::string s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0u\0p", 4)}) {
      INFO(s);
      CHECK(*base64_decode(base64_encode(s)) == s);
    }
    CHECK_FALSE(base64_decode("abc").has_value());
    CHECK_FALSE(base64_decode("a=bc").has_value());
    CHECK_FALSE(base64_decode("ab!c").has_value());
  }

  TEST_CASE("PLAIN") {
    auto c = parse_plain(std::string("\0alice\0secret", 13));
    REQUIRE(c.has_value());
    CHECK(c->authcid == "alice");
    CHECK(c->password == "secret");
    CHECK_FALSE(parse_plain("alice").has_value());
    CHECK_FALSE(parse_plain(std::string("\0\0secret", 8)).has_value());
    CHECK_FALSE(parse_plain(std::string("\0alice\0", 7)).has_value());
  }
}

}  // namespace
}  // namespace tern::smtpd

// Networks: a list of CIDR blocks (mynetworks) and the test "is this client address in it".
// Accepts Postfix's spellings: 192.0.2.0/24, 192.0.2.1 (a /32), [2001:db8::]/32, 2001:db8::/32,
// [::1]/128. Pure code.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace tern::smtpd {

class Networks {
 public:
  // Errors name the bad entry.
  static Result<Networks> parse(const std::vector<std::string>& entries);
  // address: a textual IPv4 or IPv6 address (an IPv4-mapped IPv6 address matches IPv4 blocks).
  bool contains(std::string_view address) const;

 private:
  struct Block {
    int family = 0;           // AF_INET or AF_INET6
    unsigned char bytes[16] = {};
    int prefix = 0;
  };
  std::vector<Block> blocks_;
};

}  // namespace tern::smtpd

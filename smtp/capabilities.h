// Capabilities: what a server's EHLO reply offers (RFC 5321 §4.1.1.1 and the extensions'
// RFCs). Pure; parsed again after STARTTLS, since nothing learned before TLS can be trusted.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "smtp/reply_reader.h"

namespace tern::smtp {

struct Capabilities {
  bool esmtp = false;          // EHLO succeeded (HELO fallback leaves everything false)
  bool pipelining = false;
  bool starttls = false;
  bool eightbitmime = false;
  bool smtputf8 = false;
  bool dsn = false;
  bool size = false;
  uint64_t size_limit = 0;     // 0: none announced
  bool auth_plain = false;
  bool auth_login = false;
};

// From a 250 EHLO reply: the first line is the greeting, each other line one keyword.
Capabilities parse_capabilities(const Reply& ehlo);

}  // namespace tern::smtp

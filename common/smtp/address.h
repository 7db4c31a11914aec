// RFC 5321 envelope addresses: strict parsing of the reverse-path (MAIL FROM) and forward-path
// (RCPT TO) as they appear between angle brackets. Pure code, shared by smtpd and the smtp
// client; no I/O, no allocation beyond the returned strings.
//
// Accepted: Dot-string and Quoted-string local parts (at most 64 octets), domains of LDH
// labels (each at most 63, the whole at most 255) or address literals [IPv4] / [IPv6:...],
// the null path <>, <postmaster> (forward path only), and source routes (<@a,@b:u@d>), which
// RFC 5321 says to accept and ignore: the route is dropped, never followed.
// UTF-8 in the local part and domain only when the caller allows it (SMTPUTF8).
// Errors describe the first problem, for a "501 5.1.3" / "553 5.1.3" reply.
//
// Relay safety: the parser never rewrites anything. Whether a local part carries another
// routing (percent hack "u%remote", bang path "remote!u", "u@remote" quoted) is reported by
// has_routing_syntax(), and relay control treats such an address as not ours.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.h"

namespace tern::smtp {

struct Mailbox {
  std::string local_part;   // as written (a quoted local part keeps its quotes)
  std::string domain;       // as written; "[1.2.3.4]" for a literal; empty for <postmaster>
  bool quoted = false;
  bool address_literal = false;

  // local@domain, or the local part alone when there is no domain.
  std::string address() const;
  // The local part with quoting removed ("a b"@x -> a b).
  std::string unquoted_local_part() const;
  // '@', '%' or '!' inside the local part: another routing that must never be followed.
  bool has_routing_syntax() const;
  // Any octet >= 0x80.
  bool has_utf8() const;
};

struct Path {
  bool null = false;          // <>
  bool source_route = false;  // a route was given (and dropped)
  Mailbox mailbox;
};

enum class PathKind { kReverse, kForward };

struct PathOptions {
  bool allow_utf8 = false;
};

inline constexpr size_t kMaxLocalPart = 64;
inline constexpr size_t kMaxDomain = 255;
inline constexpr size_t kMaxPath = 256;

// Parses text that starts with '<'. *consumed gets the length up to and including '>'.
Result<Path> parse_path(std::string_view text, PathKind kind, const PathOptions& options,
                        size_t* consumed);

// A bare mailbox "local@domain" (no brackets), e.g. an AUTH login or a table value.
Result<Mailbox> parse_mailbox(std::string_view text, const PathOptions& options);

// Domain syntax alone (LDH labels or an address literal).
bool is_valid_domain(std::string_view domain, bool allow_utf8);

}  // namespace tern::smtp

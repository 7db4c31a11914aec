// RFC 5321 path and mailbox parsing (see address.h).
#include "common/smtp/address.h"

#include <arpa/inet.h>

#include <cctype>

namespace tern::smtp {
namespace {

bool is_atext(unsigned char c, bool utf8) {
  if (c >= 0x80) return utf8;
  if (std::isalnum(c)) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(static_cast<char>(c)) != std::string_view::npos;
}

// Checks that bytes >= 0x80 form well-formed UTF-8 sequences.
bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 99;
    if (n == 99 || (n > 0 && c < 0xC2)) return false;
    if (n > 0 && i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n + 1;
  }
  return true;
}

bool valid_label(std::string_view label, bool utf8) {
  if (label.empty() || label.size() > 63) return false;
  for (unsigned char c : label) {
    if (c >= 0x80) {
      if (!utf8) return false;
      continue;
    }
    if (!std::isalnum(c) && c != '-') return false;
  }
  return label.front() != '-' && label.back() != '-';
}

bool valid_literal(std::string_view lit) {
  // lit is the text between the brackets.
  unsigned char buf[16];
  if (lit.size() > 5 && (lit.substr(0, 5) == "IPv6:" || lit.substr(0, 5) == "ipv6:")) {
    std::string v6(lit.substr(5));
    return inet_pton(AF_INET6, v6.c_str(), buf) == 1;
  }
  std::string v4(lit);
  if (v4.empty() || v4.size() > 15) return false;
  for (char c : v4) {
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.') return false;
  }
  return inet_pton(AF_INET, v4.c_str(), buf) == 1;
}

// Parses a local part at the start of s; returns its length or an error.
Result<size_t> scan_local_part(std::string_view s, bool utf8, bool* quoted) {
  size_t i = 0;
  if (!s.empty() && s[0] == '"') {
    *quoted = true;
    i = 1;
    while (true) {
      if (i >= s.size()) return fail("unterminated quoted local part");
      unsigned char c = static_cast<unsigned char>(s[i]);
      if (c == '"') { ++i; break; }
      if (c == '\\') {
        if (i + 1 >= s.size()) return fail("bad quoted pair");
        unsigned char q = static_cast<unsigned char>(s[i + 1]);
        if (q < 32 || q > 126) return fail("bad quoted pair");
        i += 2;
        continue;
      }
      if (c >= 0x80) {
        if (!utf8) return fail("8-bit character in address without SMTPUTF8");
        ++i;
        continue;
      }
      if (c < 32 || c > 126) return fail("control character in quoted local part");
      ++i;
    }
  } else {
    *quoted = false;
    bool need_atom = true;
    while (i < s.size()) {
      unsigned char c = static_cast<unsigned char>(s[i]);
      if (c == '.') {
        if (need_atom) return fail("empty atom in local part");
        need_atom = true;
        ++i;
      } else if (is_atext(c, utf8)) {
        need_atom = false;
        ++i;
      } else {
        break;
      }
    }
    if (i == 0) return fail("empty local part");
    if (need_atom) return fail("local part ends with '.'");
  }
  if (i > kMaxLocalPart + (*quoted ? 2 : 0)) return fail("local part too long");
  return i;
}

}  // namespace

std::string Mailbox::address() const {
  if (domain.empty()) return local_part;
  return local_part + "@" + domain;
}

std::string Mailbox::unquoted_local_part() const {
  if (!quoted) return local_part;
  std::string out;
  for (size_t i = 1; i + 1 < local_part.size(); ++i) {
    if (local_part[i] == '\\' && i + 2 < local_part.size()) ++i;
    out.push_back(local_part[i]);
  }
  return out;
}

bool Mailbox::has_routing_syntax() const {
  return unquoted_local_part().find_first_of("@%!") != std::string::npos;
}

bool Mailbox::has_utf8() const {
  for (unsigned char c : local_part + domain) {
    if (c >= 0x80) return true;
  }
  return false;
}

bool is_valid_domain(std::string_view domain, bool allow_utf8) {
  if (domain.empty() || domain.size() > kMaxDomain) return false;
  if (domain.front() == '[') {
    return domain.size() > 2 && domain.back() == ']' && valid_literal(domain.substr(1, domain.size() - 2));
  }
  if (allow_utf8 && !valid_utf8(domain)) return false;
  size_t start = 0;
  while (true) {
    size_t dot = domain.find('.', start);
    std::string_view label = domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!valid_label(label, allow_utf8)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

Result<Mailbox> parse_mailbox(std::string_view s, const PathOptions& options) {
  Mailbox box;
  auto local = scan_local_part(s, options.allow_utf8, &box.quoted);
  if (!local) return std::unexpected(local.error());
  box.local_part = std::string(s.substr(0, *local));
  if (options.allow_utf8 && !valid_utf8(box.local_part)) return fail("malformed UTF-8 in local part");
  s.remove_prefix(*local);
  if (s.empty() || s[0] != '@') return fail("missing '@domain'");
  std::string_view domain = s.substr(1);
  if (!is_valid_domain(domain, options.allow_utf8)) return fail("bad domain '" + std::string(domain) + "'");
  box.domain = std::string(domain);
  box.address_literal = domain.front() == '[';
  return box;
}

Result<Path> parse_path(std::string_view text, PathKind kind, const PathOptions& options,
                        size_t* consumed) {
  if (text.empty() || text[0] != '<') return fail("address must be in angle brackets");
  size_t close = std::string_view::npos;
  // The closing bracket: the first '>' outside a quoted string.
  bool in_quotes = false;
  for (size_t i = 1; i < text.size(); ++i) {
    char c = text[i];
    if (in_quotes && c == '\\') { ++i; continue; }
    if (c == '"') in_quotes = !in_quotes;
    else if (c == '>' && !in_quotes) { close = i; break; }
  }
  if (close == std::string_view::npos) return fail("missing '>'");
  if (close - 1 > kMaxPath) return fail("path too long");
  *consumed = close + 1;
  std::string_view inner = text.substr(1, close - 1);
  Path path;
  if (inner.empty()) {
    if (kind == PathKind::kForward) return fail("null recipient");
    path.null = true;
    return path;
  }
  if (inner[0] == '@') {
    // A-d-l ":" -- each hop must be a valid domain; then dropped.
    size_t colon = inner.find(':');
    if (colon == std::string_view::npos) return fail("source route without ':'");
    std::string_view route = inner.substr(0, colon);
    size_t start = 0;
    while (start <= route.size()) {
      size_t comma = route.find(',', start);
      std::string_view hop = route.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      if (hop.size() < 2 || hop[0] != '@' || !is_valid_domain(hop.substr(1), options.allow_utf8))
        return fail("bad source route");
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    path.source_route = true;
    inner.remove_prefix(colon + 1);
  }
  if (kind == PathKind::kForward && !path.source_route && inner.size() == 10) {
    std::string lower;
    for (char c : inner) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    if (lower == "postmaster") {
      path.mailbox.local_part = std::string(inner);
      return path;
    }
  }
  auto box = parse_mailbox(inner, options);
  if (!box) return std::unexpected(box.error());
  path.mailbox = std::move(*box);
  return path;
}

}  // namespace tern::smtp

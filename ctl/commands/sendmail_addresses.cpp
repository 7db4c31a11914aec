// Address lists from headers and arguments (see sendmail_addresses.h).
#include "ctl/commands/sendmail_addresses.h"

#include "common/smtp/address.h"

namespace tern::ctl {
namespace {

// Collects one mailbox: the text outside comments, and the text inside <...> if any.
struct MailboxText {
  std::string plain;
  std::string angle;
  bool has_angle = false;

  void emit(std::vector<std::string>& out) {
    std::string& s = has_angle ? angle : plain;
    if (!s.empty()) out.push_back(s);
    *this = MailboxText{};
  }
};

}  // namespace

std::vector<std::string> parse_address_list(std::string_view text) {
  std::vector<std::string> out;
  MailboxText box;
  bool quoted = false;
  bool in_angle = false;
  int comment = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    std::string& sink = in_angle ? box.angle : box.plain;
    if (comment > 0) {
      if (c == '\\' && i + 1 < text.size()) ++i;
      else if (c == '(') ++comment;
      else if (c == ')') --comment;
      continue;
    }
    if (quoted) {
      sink.push_back(c);
      if (c == '\\' && i + 1 < text.size()) sink.push_back(text[++i]);
      else if (c == '"') quoted = false;
      continue;
    }
    switch (c) {
      case '"': quoted = true; sink.push_back(c); break;
      case '(': ++comment; break;
      case '<':
        in_angle = true;
        box.has_angle = true;
        box.angle.clear();
        break;
      case '>': in_angle = false; break;
      case ' ': case '\t': case '\r': case '\n': break;
      case ':':
        if (in_angle) sink.push_back(c);
        else box = MailboxText{};  // a group's display name
        break;
      case ',': case ';':
        if (in_angle) sink.push_back(c);
        else box.emit(out);
        break;
      default: sink.push_back(c);
    }
  }
  box.emit(out);
  return out;
}

Result<std::string> qualify_address(const std::string& address, const std::string& origin, bool allow_null) {
  std::string a = address;
  if (a.size() >= 2 && a.front() == '<' && a.back() == '>') a = a.substr(1, a.size() - 2);
  if (a.empty()) {
    if (allow_null) return std::string();
    return fail("empty address");
  }
  if (a.find('@') == std::string::npos && a.front() != '"') a += "@" + origin;
  else if (a.front() == '"' && a.back() == '"') a += "@" + origin;
  size_t consumed = 0;
  smtp::PathOptions options{.allow_utf8 = true};
  auto path = smtp::parse_path("<" + a + ">", allow_null ? smtp::PathKind::kReverse : smtp::PathKind::kForward,
                               options, &consumed);
  if (!path || consumed != a.size() + 2 || path->null || path->mailbox.domain.empty()) {
    return fail("bad address syntax: " + address + (path ? "" : " (" + path.error().message + ")"));
  }
  return path->mailbox.address();
}

}  // namespace tern::ctl

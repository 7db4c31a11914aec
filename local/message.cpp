// Message transformations: line ends, trace headers, loop detection, mbox quoting.
#include "local/message.h"

#include <cctype>

namespace tern::local {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

std::string_view strip_angles(std::string_view s) {
  s = trim(s);
  if (s.size() >= 2 && s.front() == '<' && s.back() == '>') s = s.substr(1, s.size() - 2);
  return trim(s);
}

// Checks one unfolded header field.
bool is_delivered_to(std::string_view field, std::string_view recipient) {
  size_t colon = field.find(':');
  if (colon == std::string_view::npos) return false;
  if (!iequals(trim(field.substr(0, colon)), "delivered-to")) return false;
  return iequals(strip_angles(field.substr(colon + 1)), strip_angles(recipient));
}

}  // namespace

std::string to_unix_line_ends(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  for (size_t i = 0; i < message.size(); ++i) {
    if (message[i] == '\r' && i + 1 < message.size() && message[i + 1] == '\n') continue;
    out.push_back(message[i]);
  }
  return out;
}

std::string prepend_trace_headers(std::string_view message, std::string_view sender,
                                  std::string_view recipient) {
  std::string out;
  out.reserve(message.size() + sender.size() + recipient.size() + 32);
  // Envelope values never add header lines: control characters become spaces.
  auto clean = [](std::string_view v) {
    std::string s(v);
    for (char& c : s) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    }
    return s;
  };
  out.append("Return-Path: <").append(clean(sender)).append(">\n");
  out.append("Delivered-To: ").append(clean(recipient)).append("\n");
  out.append(message);
  return out;
}

bool has_delivered_to(std::string_view message, std::string_view recipient) {
  std::string field;
  size_t pos = 0;
  while (pos < message.size()) {
    size_t end = message.find('\n', pos);
    std::string_view line = message.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? message.size() : end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;  // end of the header section
    if (line.front() == ' ' || line.front() == '\t') {
      field.append(line);  // folded continuation
      continue;
    }
    if (is_delivered_to(field, recipient)) return true;
    field.assign(line);
  }
  return is_delivered_to(field, recipient);
}

std::string mbox_from_line(std::string_view sender, std::time_t when) {
  std::tm tm{};
  ::gmtime_r(&when, &tm);
  char date[64];
  std::strftime(date, sizeof date, "%a %b %e %H:%M:%S %Y", &tm);
  std::string out = "From ";
  out.append(sender.empty() ? std::string_view("MAILER-DAEMON") : sender);
  out.append(" ").append(date).append("\n");
  return out;
}

std::string mbox_quote(std::string_view message) {
  std::string out;
  out.reserve(message.size() + message.size() / 50 + 2);
  size_t pos = 0;
  while (pos < message.size()) {
    size_t end = message.find('\n', pos);
    size_t stop = end == std::string_view::npos ? message.size() : end + 1;
    std::string_view line = message.substr(pos, stop - pos);
    size_t gt = 0;
    while (gt < line.size() && line[gt] == '>') ++gt;
    if (line.substr(gt).starts_with("From ")) out.push_back('>');
    out.append(line);
    pos = stop;
  }
  if (!out.empty() && out.back() != '\n') out.push_back('\n');
  out.push_back('\n');
  return out;
}

}  // namespace tern::local

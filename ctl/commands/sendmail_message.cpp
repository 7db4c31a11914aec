// Preparing sendmail's input message (see sendmail_message.h).
#include "ctl/commands/sendmail_message.h"

#include <cctype>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "ctl/commands/sendmail_addresses.h"

namespace tern::ctl {
namespace {

// One header: its first line's index and how many lines it spans.
struct HeaderSpan {
  std::string name;  // lower-case
  size_t first = 0;
  size_t count = 0;
};

bool is_header_start(const std::string& line, std::string* name) {
  size_t colon = line.find(':');
  if (colon == std::string::npos || colon == 0) return false;
  for (size_t i = 0; i < colon; ++i) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    if (c <= 32 || c >= 127) return false;
  }
  name->clear();
  for (size_t i = 0; i < colon; ++i) name->push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(line[i]))));
  return true;
}

bool is_continuation(const std::string& line) { return !line.empty() && (line[0] == ' ' || line[0] == '\t'); }

// The value of a header: the text after the colon, folded lines joined.
std::string header_value(const std::vector<std::string>& lines, const HeaderSpan& h) {
  std::string v = lines[h.first].substr(lines[h.first].find(':') + 1);
  for (size_t i = 1; i < h.count; ++i) v += " " + lines[h.first + i];
  return v;
}

bool is_atext(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("!#$%&'*+-/=?^_`{|}~ ", c) != nullptr ||
         static_cast<unsigned char>(c) >= 0x80;
}

std::string message_id(const MessageDefaults& d) {
  time_t t = static_cast<time_t>(d.now_us / 1000000);
  struct tm tm;
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm);
  char micros[16];
  std::snprintf(micros, sizeof micros, "%06ld", static_cast<long>(d.now_us % 1000000));
  return "<" + std::string(stamp) + "." + micros + "." + std::to_string(d.pid) + "@" + d.myhostname + ">";
}

}  // namespace

std::vector<std::string> split_input(std::string_view raw, bool ignore_dots) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < raw.size()) {
    size_t lf = raw.find('\n', start);
    size_t end = lf == std::string_view::npos ? raw.size() : lf;
    std::string_view line = raw.substr(start, end - start);
    if (lf != std::string_view::npos && !line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!ignore_dots && line == ".") break;
    lines.emplace_back(line);
    if (lf == std::string_view::npos) break;
    start = lf + 1;
  }
  return lines;
}

std::string rfc5322_date(int64_t time_us, int utc_offset_minutes) {
  time_t t = static_cast<time_t>(time_us / 1000000) + static_cast<time_t>(utc_offset_minutes) * 60;
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S", &tm);
  int off = utc_offset_minutes < 0 ? -utc_offset_minutes : utc_offset_minutes;
  char zone[16];
  std::snprintf(zone, sizeof zone, " %c%02d%02d", utc_offset_minutes < 0 ? '-' : '+', off / 60, off % 60);
  return std::string(buf) + zone;
}

std::string header_phrase(std::string_view name) {
  std::string clean;
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u >= 32 && u != 127) clean.push_back(c);
  }
  bool plain = true;
  for (char c : clean) plain = plain && is_atext(c);
  if (plain) return clean;
  std::string quoted = "\"";
  for (char c : clean) {
    if (c == '"' || c == '\\') quoted.push_back('\\');
    quoted.push_back(c);
  }
  return quoted + "\"";
}

PreparedMessage prepare_message(const std::vector<std::string>& lines, const MessageDefaults& d) {
  size_t begin = !lines.empty() && lines[0].rfind("From ", 0) == 0 ? 1 : 0;
  std::vector<HeaderSpan> headers;
  size_t i = begin;
  while (i < lines.size()) {
    std::string name;
    if (!is_header_start(lines[i], &name)) break;
    HeaderSpan h{name, i, 1};
    while (i + h.count < lines.size() && is_continuation(lines[i + h.count])) ++h.count;
    headers.push_back(h);
    i += h.count;
  }
  size_t body = i;  // an empty line, another line, or the end

  PreparedMessage out;
  bool has_from = false, has_date = false, has_id = false, resent = false;
  for (const auto& h : headers) {
    has_from |= h.name == "from";
    has_date |= h.name == "date";
    has_id |= h.name == "message-id";
    resent |= h.name == "resent-to" || h.name == "resent-cc" || h.name == "resent-bcc";
  }
  for (const auto& h : headers) {
    bool take = resent ? (h.name == "resent-to" || h.name == "resent-cc" || h.name == "resent-bcc")
                       : (h.name == "to" || h.name == "cc" || h.name == "bcc");
    if (d.extract_recipients && take) {
      for (auto& a : parse_address_list(header_value(lines, h))) out.header_recipients.push_back(std::move(a));
    }
    if (h.name == "bcc" || h.name == "resent-bcc") continue;
    for (size_t k = 0; k < h.count; ++k) out.bytes += lines[h.first + k] + "\r\n";
  }
  if (!has_from) {
    std::string address = d.from_address.empty() ? "MAILER-DAEMON" : d.from_address;
    std::string phrase = header_phrase(d.full_name);
    out.bytes += phrase.empty() ? "From: " + address + "\r\n" : "From: " + phrase + " <" + address + ">\r\n";
  }
  if (!has_date) out.bytes += "Date: " + rfc5322_date(d.now_us, d.utc_offset_minutes) + "\r\n";
  if (!has_id) out.bytes += "Message-ID: " + message_id(d) + "\r\n";
  if (body >= lines.size() || !lines[body].empty()) out.bytes += "\r\n";
  for (size_t k = body; k < lines.size(); ++k) out.bytes += lines[k] + "\r\n";
  return out;
}

}  // namespace tern::ctl

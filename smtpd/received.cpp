// Received: header (see received.h).
#include "smtpd/received.h"

#include <ctime>

namespace tern::smtpd {
namespace {

// Header text must not carry CR, LF or other controls from the client (HELO is theirs).
std::string clean(const std::string& s) {
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    out.push_back(u < 32 || u == 127 ? '?' : c);
  }
  return out;
}

}  // namespace

std::string rfc5322_date(int64_t time_us) {
  time_t t = static_cast<time_t>(time_us / 1000000);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[64];
  strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000 (UTC)", &tm);
  return buf;
}

std::string format_received(const ReceivedInfo& i) {
  std::string h;
  if (i.local_uid >= 0 && i.client_address.empty()) {
    h = "Received: by " + i.myhostname + " (Tern, from userid " + std::to_string(i.local_uid) + ")\r\n\tid " +
        i.queue_id;
  } else {
    h = "Received: from " + clean(i.helo.empty() ? "unknown" : i.helo) + " (" + i.client_hostname + " [" +
        i.client_address + "])\r\n\tby " + i.myhostname + " (Tern) with " + i.protocol + " id " + i.queue_id;
    if (!i.tls.empty()) h += "\r\n\t(using " + i.tls + ")";
  }
  if (!i.recipient.empty()) h += "\r\n\tfor <" + clean(i.recipient) + ">";
  h += "; " + rfc5322_date(i.time_us) + "\r\n";
  return h;
}

}  // namespace tern::smtpd

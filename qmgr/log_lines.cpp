// Delivery log lines (see log_lines.h).
#include "qmgr/log_lines.h"

#include <algorithm>
#include <cstdio>

namespace tern::qmgr {

std::string format_seconds(int64_t us) {
  double s = static_cast<double>(std::max<int64_t>(us, 0)) / 1e6;
  char buf[32];
  if (s < 0.01) {
    std::snprintf(buf, sizeof buf, "%s", s == 0 ? "0" : "0.01");
  } else if (s < 10) {
    std::snprintf(buf, sizeof buf, "%.2g", s);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f", s);
  }
  return buf;
}

std::string sanitize_text(const std::string& text, size_t limit) {
  std::string out = text.substr(0, limit);
  for (char& c : out) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = ' ';
  }
  return out;
}

std::string format_delivery(const DeliveryLog& e) {
  int64_t active = e.active_us > 0 ? e.active_us : e.now_us;
  int64_t job = e.job_us > 0 ? e.job_us : e.now_us;
  std::string line = "to=<" + sanitize_text(e.to, 500) + ">";
  if (!e.orig_to.empty() && e.orig_to != e.to) line += ", orig_to=<" + sanitize_text(e.orig_to, 500) + ">";
  line += ", relay=" + (e.relay.empty() ? std::string("none") : sanitize_text(e.relay, 300));
  line += ", delay=" + format_seconds(e.now_us - e.arrival_us);
  line += ", delays=" + format_seconds(active - e.arrival_us) + "/" + format_seconds(job - active) +
          "/0/" + format_seconds(e.now_us - job);
  line += ", dsn=" + sanitize_text(e.dsn, 20);
  line += ", status=" + e.status;
  if (!e.text.empty()) line += " (" + sanitize_text(e.text) + ")";
  return line;
}

}  // namespace tern::qmgr

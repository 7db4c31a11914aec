// Tests for the Postfix-shaped delivery log line.
#include <doctest/doctest.h>

#include "qmgr/log_lines.h"

namespace tern::qmgr {
namespace {

TEST_SUITE("qmgr.log_lines") {
  TEST_CASE("delivery lines") {
    constexpr int64_t kT = 1'700'000'000'000'000;
    struct Row { const char* name; DeliveryLog entry; const char* want; };
    const Row rows[] = {
        {"sent",
         {"c@d", "c@d", "mx.d[192.0.2.1]:25", kT, kT + 100'000, kT + 200'000, kT + 400'000,
          "2.0.0", "sent", "250 2.0.0 ok"},
         "to=<c@d>, relay=mx.d[192.0.2.1]:25, delay=0.4, delays=0.1/0.1/0/0.2, dsn=2.0.0, "
         "status=sent (250 2.0.0 ok)"},
        {"deferred without a job, rewritten",
         {"x@d", "a@d", "", kT, kT, 0, kT + 12'000'000, "4.3.0", "deferred", "lookup down"},
         "to=<x@d>, orig_to=<a@d>, relay=none, delay=12, delays=0/12/0/0, dsn=4.3.0, "
         "status=deferred (lookup down)"},
        {"control characters from a peer",
         {"c@d", "", "r", kT, kT, kT, kT, "5.0.0", "bounced", "550 a\r\nb"},
         "to=<c@d>, relay=r, delay=0, delays=0/0/0/0, dsn=5.0.0, status=bounced (550 a  b)"},
    };
    for (const auto& row : rows) {
      INFO(row.name);
      CHECK(format_delivery(row.entry) == row.want);
    }
  }
}

}  // namespace
}  // namespace tern::qmgr

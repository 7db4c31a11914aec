// Queue id generation and validation (see queue_id.h).
#include "common/spool/queue_id.h"

#include <time.h>

#include <algorithm>

#include "common/check.h"

namespace tern::spool {
namespace {

constexpr int64_t kMaxTimeUs = (int64_t{1} << (5 * kQueueIdTimeChars)) - 1;
constexpr int64_t kMaxPid = (int64_t{1} << (5 * kQueueIdPidChars)) - 1;

// Writes `value` as `width` base-32 digits, most significant first.
void encode(uint64_t value, size_t width, char* out) {
  for (size_t i = width; i-- > 0;) {
    out[i] = kQueueIdAlphabet[value & 31];
    value >>= 5;
  }
}

int digit_value(char c) {
  size_t pos = kQueueIdAlphabet.find(c);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

}  // namespace

int64_t SystemClock::now_us() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1000000 + ts.tv_nsec / 1000;
}

QueueIdGenerator::QueueIdGenerator(Clock& clock, pid_t pid) : clock_(clock) {
  TERN_CHECK(pid >= 0 && pid <= kMaxPid);
  pid_chars_.resize(kQueueIdPidChars);
  encode(static_cast<uint64_t>(pid), kQueueIdPidChars, pid_chars_.data());
}

std::string QueueIdGenerator::next() {
  int64_t now = std::clamp<int64_t>(clock_.now_us(), 0, kMaxTimeUs);
  // Strictly increasing within the process: a clock that stood still or stepped back borrows
  // from the future, one microsecond per id, until it catches up.
  int64_t t = std::max(now, last_us_ + 1);
  TERN_CHECK(t <= kMaxTimeUs);  // only after 2^55 ids in one process, or in the year 3111
  last_us_ = t;
  std::string id(kQueueIdLength, '0');
  encode(static_cast<uint64_t>(t), kQueueIdTimeChars, id.data());
  std::copy(pid_chars_.begin(), pid_chars_.end(), id.begin() + kQueueIdTimeChars);
  return id;
}

bool is_valid_queue_id(std::string_view id) {
  return id.size() == kQueueIdLength &&
         std::all_of(id.begin(), id.end(), [](char c) { return digit_value(c) >= 0; });
}

int64_t queue_id_time_us(std::string_view id) {
  if (!is_valid_queue_id(id)) return -1;
  int64_t t = 0;
  for (size_t i = 0; i < kQueueIdTimeChars; ++i) t = (t << 5) | digit_value(id[i]);
  return t;
}

}  // namespace tern::spool

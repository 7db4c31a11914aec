// Queue ids (DESIGN.md §4): unique, sortable by arrival, safe as file names.
//
// An id is 16 characters of Crockford's base-32 alphabet "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
// (digits, then upper-case letters without I L O U), whose ASCII order is its numeric order:
//   11 characters  the arrival time in microseconds since the epoch (55 bits, until year 3111)
//    5 characters  the pid of the generating process (25 bits; Linux pid_max is at most 2^22)
// so byte order is arrival order across processes to the microsecond, and two processes never
// produce the same id. Within a process the generator hands out strictly increasing times: when
// the clock has not moved, or went backwards, it uses the last time plus one microsecond — the
// per-process sequence is folded into the time, which runs at most a little ahead in a burst.
// The id is also the file name under incoming/, queue/, hold/, corrupt/, so is_valid_queue_id()
// guards every name that comes from outside (ternctl arguments, directory listings).
//
// The one collision left is a pid reused after the wall clock was set back; the queue writer's
// O_EXCL open and no-replace rename turn it into an EEXIST error, never an overwrite.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tern::spool {

// Wall-clock time in microseconds since the epoch. Policy code takes a Clock& so that tests
// can drive time by hand.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t now_us() = 0;
};

// CLOCK_REALTIME.
class SystemClock final : public Clock {
 public:
  int64_t now_us() override;
};

inline constexpr std::string_view kQueueIdAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
inline constexpr size_t kQueueIdTimeChars = 11;
inline constexpr size_t kQueueIdPidChars = 5;
inline constexpr size_t kQueueIdLength = kQueueIdTimeChars + kQueueIdPidChars;

class QueueIdGenerator {
 public:
  // pid must be in [0, 2^25); the Clock must outlive the generator.
  QueueIdGenerator(Clock& clock, pid_t pid);

  std::string next();

 private:
  Clock& clock_;
  std::string pid_chars_;
  int64_t last_us_ = -1;
};

// Exactly kQueueIdLength characters, each from kQueueIdAlphabet.
bool is_valid_queue_id(std::string_view id);

// The arrival time encoded in a valid id, in microseconds since the epoch; -1 if id is invalid.
int64_t queue_id_time_us(std::string_view id);

}  // namespace tern::spool

// glibc mallopt() settings for Tern's daemons (see the header).
#include "common/process/malloc_tuning.h"

#include <malloc.h>

namespace tern::process {
namespace {

constexpr int kTopPad = 16 << 20;         // grow each heap by this much beyond the request
constexpr int kTrimThreshold = 32 << 20;  // give memory back only when this much is free on top

}  // namespace

void tune_malloc_for_steady_load() {
  // Setting either also fixes the mmap threshold at its 128 KiB default (no dynamic raising),
  // which keeps a large message's buffer out of the heap's retained top.
  ::mallopt(M_TOP_PAD, kTopPad);
  ::mallopt(M_TRIM_THRESHOLD, kTrimThreshold);
}

}  // namespace tern::process

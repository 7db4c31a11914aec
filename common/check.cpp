// The failure path of TERN_CHECK: one line to stderr, then abort for a core dump.
#include "common/check.h"

#include <cstdio>
#include <cstdlib>

namespace tern::detail {

void check_failed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "fatal: %s:%d: CHECK failed: %s\n", file, line, condition);
  std::abort();
}

}  // namespace tern::detail

// TERN_CHECK: an always-on assertion for broken invariants (programmer errors). It logs the
// failed condition with file and line and aborts, in release builds too. Never use it for
// anything a client, the disk or a config file can cause: those are Result<T> errors.
#pragma once

namespace tern::detail {
[[noreturn]] void check_failed(const char* condition, const char* file, int line);
}

#define TERN_CHECK(cond)                                              \
  do {                                                                \
    if (!(cond)) ::tern::detail::check_failed(#cond, __FILE__, __LINE__); \
  } while (0)

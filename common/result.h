// Result<T>: the error-as-value type at every module boundary (STYLE.md §11).
// Anything the outside world can cause -- a peer, the disk, a config file, DNS -- comes back
// as an Error; broken invariants use TERN_CHECK (common/check.h) instead.
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace tern {

struct Error {
  std::string message;   // human-readable, complete ("file:line: why", "queue/X: ENOSPC")
  int code = 0;          // errno where one applies, else 0

  static Error from_errno(std::string what, int err);
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(std::string message, int code = 0) {
  return std::unexpected<Error>(Error{std::move(message), code});
}

// "what: strerror(err)" with the errno kept in code.
std::unexpected<Error> fail_errno(std::string what, int err);

}  // namespace tern

// Error helpers for Result<T>.
#include "common/result.h"

#include <cstring>

namespace tern {

Error Error::from_errno(std::string what, int err) {
  return Error{std::move(what) + ": " + std::strerror(err), err};
}

std::unexpected<Error> fail_errno(std::string what, int err) {
  return std::unexpected<Error>(Error::from_errno(std::move(what), err));
}

}  // namespace tern

// DeliveryStatus helpers.
#include "local/status.h"

#include <cerrno>
#include <cstring>

namespace tern::local {

DeliveryStatus DeliveryStatus::from_errno(const std::string& what, int err) {
  std::string text = what + ": " + std::strerror(err);
  if (err == ENOSPC) return defer("4.3.0", text);
  if (err == EDQUOT) return defer("4.2.2", text);
  return defer("4.2.0", text);
}

DeliveryStatus DeliveryStatus::from_error(const Error& error) {
  if (error.code == ENOSPC) return defer("4.3.0", error.message);
  if (error.code == EDQUOT) return defer("4.2.2", error.message);
  return defer("4.2.0", error.message);
}

namespace {
int rank(Outcome outcome) {
  switch (outcome) {
    case proto::RecipientResult::DEFERRED: return 2;
    case proto::RecipientResult::BOUNCED: return 1;
    default: return 0;
  }
}
}  // namespace

const DeliveryStatus& worse(const DeliveryStatus& a, const DeliveryStatus& b) {
  return rank(b.outcome) > rank(a.outcome) ? b : a;
}

}  // namespace tern::local

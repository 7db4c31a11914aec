// DeliveryStatus: the outcome of delivering to one target (a mailbox, a file, a command), as
// local reports it to qmgr: DELIVERED 2.0.0, DEFERRED 4.x.x (qmgr retries, bounces at
// expiry) or BOUNCED 5.x.x, with a diagnostic for the log and the DSN. Pure values; no I/O.
#pragma once

#include <string>

#include "common/result.h"
#include "delivery.pb.h"

namespace tern::local {

using Outcome = proto::RecipientResult::Outcome;

struct DeliveryStatus {
  Outcome outcome = proto::RecipientResult::DELIVERED;
  std::string dsn = "2.0.0";
  std::string text;

  static DeliveryStatus sent(std::string text) { return {proto::RecipientResult::DELIVERED, "2.0.0", std::move(text)}; }
  static DeliveryStatus defer(std::string dsn, std::string text) {
    return {proto::RecipientResult::DEFERRED, std::move(dsn), std::move(text)};
  }
  static DeliveryStatus bounce(std::string dsn, std::string text) {
    return {proto::RecipientResult::BOUNCED, std::move(dsn), std::move(text)};
  }
  // A failed system call while writing a mailbox: always temporary (4.3.0 for a full disk,
  // 4.2.2 over quota, 4.2.0 otherwise: permissions, I/O errors), so qmgr retries.
  static DeliveryStatus from_errno(const std::string& what, int err);
  // The same for an Error whose message already names the call and the errno.
  static DeliveryStatus from_error(const Error& error);

  bool delivered() const { return outcome == proto::RecipientResult::DELIVERED; }
};

// Of two statuses, the one that decides the recipient: DEFERRED over BOUNCED over DELIVERED.
const DeliveryStatus& worse(const DeliveryStatus& a, const DeliveryStatus& b);

}  // namespace tern::local

// Session::Transaction: the state of one open mail transaction (MAIL .. end of data), shared
// by session_mail.cpp and session_data.cpp; and Session::PendingCheck, a restriction
// evaluation waiting for its look-ups (session_restrictions.cpp). Internal to smtpd's Session.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/smtp/body.h"
#include "common/spool/queue_writer.h"
#include "envelope.pb.h"
#include "smtpd/content_filter.h"
#include "smtpd/session.h"

namespace tern::smtpd {

struct Session::Transaction {
  proto::Envelope envelope;
  int rcpt_attempts = 0;
  uint64_t declared_size = 0;            // SIZE= at MAIL
  std::optional<spool::QueueFileWriter> writer;
  std::optional<Error> write_error;      // a write failed: the data is read and dropped
  std::optional<smtp::DataDecoder> decoder;             // DATA
  std::optional<smtp::BareNewlineScanner> bdat_scanner;  // BDAT
  uint64_t bdat_remaining = 0;
  uint64_t bdat_total = 0;
  bool bdat_last = false;
  bool bdat_discard = false;             // the BDAT command was refused: read and drop
  bool bdat_too_big = false;
  std::string chunk;                     // decoded bytes on their way to the writer
  std::optional<ContentFilter> filter;   // header_checks/body_checks, when configured
};

struct Session::PendingCheck {
  std::vector<Stage> stages;
  CheckFacts facts;
  RecipientFacts recipient;          // facts.recipient points here at RCPT
  std::function<void(const Verdict&)> done;
  bool async = false;                // a look-up was waited for: resume input afterwards
};

}  // namespace tern::smtpd

// ContentChecks: header_checks, mime_header_checks, nested_header_checks and body_checks as
// Postfix's header_checks(5) defines them -- the tables each parameter names (regexp: or pcre:,
// see regexp_table.h), compiled at start-up, and the action a matching rule's result asks for.
//
// Actions: REJECT [text], WARN [text], INFO [text], DISCARD [text], IGNORE, PREPEND text,
// REPLACE text, DUNNO, OK. HOLD, FILTER, REDIRECT, BCC and anything else are refused at load
// with "file:line: why", so no rule is silently skipped. A result whose action only appears
// after $n substitution is parsed when it matches (parse_check_action) and, if bad, logged by
// the caller and treated as DUNNO.
//
// MIME: Tern does not parse MIME structure (Postfix's disable_mime_input_processing = yes):
// mime_header_checks apply to the MIME headers of the message itself (Content-*, MIME-Version),
// header_checks to its other headers, and body_checks to every line after the message header,
// MIME part headers included. nested_header_checks (headers of attached messages) are read and
// validated but not applied; load() says so with a warning when they differ from header_checks.
//
// Used by smtpd (the checks themselves), master and `ternctl config check` (validation).
// Immutable after load: shared read-only.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/config.h"
#include "common/result.h"
#include "common/tables/regexp_table.h"

namespace tern::tables {

struct CheckAction {
  enum class Kind { kDunno, kReject, kWarn, kInfo, kDiscard, kIgnore, kPrepend, kReplace };
  Kind kind = Kind::kDunno;
  std::string text;  // as written after the keyword (may be empty)
};

// "REJECT spam" -> {kReject, "spam"}; the keyword is case-insensitive. Error: why.
Result<CheckAction> parse_check_action(std::string_view result);

// One parameter's tables, searched in order; the first match wins.
class CheckTables {
 public:
  CheckTables() = default;
  explicit CheckTables(std::vector<RegexpTable> tables) : tables_(std::move(tables)) {}
  bool empty() const { return tables_.empty(); }
  std::optional<RegexpTable::Match> find(std::string_view subject) const;

 private:
  std::vector<RegexpTable> tables_;
};

struct ContentChecks {
  CheckTables header;       // header_checks
  CheckTables mime_header;  // mime_header_checks
  CheckTables body;         // body_checks
  size_t header_size_limit = 102400;
  size_t body_checks_size_limit = 51200;

  bool empty() const { return header.empty() && mime_header.empty() && body.empty(); }

  // Reads the tables the parameters name. nullptr when no check is configured (the DATA path
  // then costs nothing). Errors: "file:line: why" for a table, "header_checks: why" for a
  // table type other than regexp: or pcre:. Warnings (nested_header_checks) go to *warnings.
  static Result<std::shared_ptr<const ContentChecks>> load(const config::Config& config,
                                                           std::vector<std::string>* warnings);
};

}  // namespace tern::tables

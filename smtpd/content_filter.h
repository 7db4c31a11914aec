// ContentFilter: header_checks and body_checks (header_checks(5)) applied to a message while
// it streams from DATA or BDAT into the queue file. Bytes go in as they arrive; the bytes to
// store come out through the sink, with IGNORE'd lines removed and PREPEND/REPLACE text in
// place. Each message line is looked at once. Lines are held only while they are being
// judged: one header (with its continuation lines, up to header_size_limit) or one body line;
// after body_checks_size_limit body bytes, or with no body_checks, the rest passes straight
// through.
//
// Headers are matched unfolded (continuation line breaks removed), one action per header,
// first matching rule wins. A header longer than header_size_limit is judged on its first
// header_size_limit bytes and kept whole unless the action removes or replaces it. REJECT and
// DISCARD end the inspection; the session acts on verdict() at the end of the data.
// Everything a rule did is reported through the Report callback, for the log.
// Runs on the session's loop; pure apart from the two callbacks.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/tables/content_checks.h"

namespace tern::smtpd {

class ContentFilter {
 public:
  using Sink = std::function<void(std::string_view bytes)>;
  // action: "reject", "warning", "info", "discard", "replace", "prepend" (Postfix's log words);
  // where: "header" or "body"; line: the unfolded header or body line; text: the rule's text.
  using Report = std::function<void(std::string_view action, std::string_view where, std::string_view line,
                                    std::string_view text)>;

  struct Verdict {
    enum class Kind { kAccept, kReject, kDiscard };
    Kind kind = Kind::kAccept;
    int code = 250;
    std::string enhanced;  // REJECT: "5.7.1" unless the text starts with its own
    std::string text;
  };

  // line_length_limit bounds what is held of one line that is never ended (such a message is
  // refused for its line length anyway).
  ContentFilter(std::shared_ptr<const tables::ContentChecks> checks, size_t line_length_limit, Sink sink,
                Report report);

  void feed(std::string_view bytes);
  // The end of the data: judges what is still held.
  void finish();
  const Verdict& verdict() const { return verdict_; }

 private:
  enum class Phase { kHeader, kBody, kPassThrough };
  void line(std::string_view l);            // one physical line, with its line end if any
  void header_line(std::string_view l);
  void body_line(std::string_view l);
  void judge_header();                      // the held header: act and emit
  // Applies a rule's result to one header or body line; true when the line is to be kept.
  // *prefix receives PREPEND or REPLACE text (with its line end).
  bool act(const std::optional<tables::RegexpTable::Match>& match, std::string_view where,
           std::string_view subject, std::string* prefix);
  void stop(Verdict v);

  std::shared_ptr<const tables::ContentChecks> owner_;  // kept alive across a reload
  const tables::ContentChecks& checks_;
  size_t hold_limit_;
  Sink sink_;
  Report report_;
  Phase phase_ = Phase::kHeader;
  std::string partial_;        // a line not yet ended
  std::string header_;         // the header being collected, as received
  bool header_open_ = false;   // a header has begun and may have more continuation lines
  bool header_judged_ = false; // over header_size_limit: judged already
  bool header_dropped_ = false;// ... and removed: its further lines go too
  size_t body_seen_ = 0;
  Verdict verdict_;
};

}  // namespace tern::smtpd

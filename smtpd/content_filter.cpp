// ContentFilter: header_checks and body_checks on the streaming message (see content_filter.h).
#include "smtpd/content_filter.h"

#include <algorithm>
#include <cctype>

namespace tern::smtpd {
namespace {

using tables::CheckAction;

// RFC 5322 field name (printable ASCII but ':'), optional white space, ':' -- as Postfix's
// is_header() judges it.
bool is_header_line(std::string_view l) {
  size_t i = 0;
  while (i < l.size() && l[i] > ' ' && l[i] < 0x7f && l[i] != ':') ++i;
  if (i == 0) return false;
  while (i < l.size() && (l[i] == ' ' || l[i] == '\t')) ++i;
  return i < l.size() && l[i] == ':';
}

// Content-* and MIME-Version: the headers mime_header_checks apply to.
bool is_mime_header(std::string_view header) {
  std::string_view name = header.substr(0, header.find(':'));
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.starts_with("content-") || lower == "mime-version";
}

// The header as one line: the line breaks of its continuation lines removed.
std::string unfold(std::string_view header) {
  std::string out;
  out.reserve(header.size());
  for (char c : header)
    if (c != '\r' && c != '\n') out += c;
  return out;
}

std::string_view without_line_end(std::string_view l) {
  if (!l.empty() && l.back() == '\n') l.remove_suffix(1);
  if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  return l;
}

// "5.7.1 text" -> ("5.7.1", "text"); without a leading enhanced status code, (fallback, text).
void split_enhanced(std::string_view text, const char* fallback, std::string* enhanced, std::string* rest) {
  size_t space = text.find(' ');
  std::string_view first = text.substr(0, space);
  bool code = first.size() >= 5 && (first[0] == '4' || first[0] == '5') && first[1] == '.' &&
              std::count(first.begin(), first.end(), '.') == 2 &&
              first.find_first_not_of("0123456789.") == std::string_view::npos;
  if (code) {
    *enhanced = std::string(first);
    *rest = space == std::string_view::npos ? "" : std::string(text.substr(space + 1));
  } else {
    *enhanced = fallback;
    *rest = std::string(text);
  }
}

}  // namespace

ContentFilter::ContentFilter(std::shared_ptr<const tables::ContentChecks> checks, size_t line_length_limit, Sink sink,
                             Report report)
    : owner_(std::move(checks)),
      checks_(*owner_),
      hold_limit_(std::max(checks_.header_size_limit, line_length_limit) + 1024),
      sink_(std::move(sink)),
      report_(std::move(report)) {}

void ContentFilter::feed(std::string_view bytes) {
  size_t pos = 0;
  while (pos < bytes.size() && phase_ != Phase::kPassThrough) {
    size_t nl = bytes.find('\n', pos);
    if (nl == std::string_view::npos) {
      partial_.append(bytes.substr(pos));
      pos = bytes.size();
      if (partial_.size() > hold_limit_) {
        // A line that never ends: the message is refused for it; stop holding bytes.
        if (phase_ == Phase::kHeader && header_open_ && !header_judged_) judge_header();
        phase_ = Phase::kPassThrough;
        sink_(partial_);
        partial_.clear();
      }
      break;
    }
    std::string_view l = bytes.substr(pos, nl + 1 - pos);
    pos = nl + 1;
    if (partial_.empty()) {
      line(l);
    } else {
      partial_.append(l);
      std::string whole = std::move(partial_);
      partial_.clear();
      line(whole);
    }
  }
  if (pos < bytes.size()) sink_(bytes.substr(pos));
}

void ContentFilter::finish() {
  if (!partial_.empty() && phase_ != Phase::kPassThrough) {
    std::string last = std::move(partial_);
    partial_.clear();
    line(last);
  }
  if (phase_ == Phase::kHeader && header_open_ && !header_judged_) judge_header();
  header_open_ = false;
}

void ContentFilter::line(std::string_view l) {
  if (phase_ == Phase::kHeader) {
    header_line(l);
  } else if (phase_ == Phase::kBody) {
    body_line(l);
  } else {
    sink_(l);
  }
}

void ContentFilter::header_line(std::string_view l) {
  bool continuation = !l.empty() && (l[0] == ' ' || l[0] == '\t');
  if (continuation && header_open_) {
    if (header_judged_) {
      if (!header_dropped_) sink_(l);
      return;
    }
    header_.append(l);
    if (header_.size() > checks_.header_size_limit) judge_header();
    return;
  }
  if (header_open_ && !header_judged_) judge_header();
  header_open_ = false;
  if (phase_ == Phase::kPassThrough) {
    sink_(l);
    return;
  }
  if (is_header_line(l)) {
    header_.assign(l);
    header_open_ = true;
    header_judged_ = false;
    header_dropped_ = false;
    if (header_.size() > checks_.header_size_limit) judge_header();
    return;
  }
  // The end of the header: an empty line, or the first line that is no header at all.
  phase_ = checks_.body.empty() || checks_.body_checks_size_limit == 0 ? Phase::kPassThrough : Phase::kBody;
  if (without_line_end(l).empty()) {
    sink_(l);
  } else {
    line(l);
  }
}

void ContentFilter::judge_header() {
  std::string subject = unfold(std::string_view(header_).substr(0, checks_.header_size_limit));
  const tables::CheckTables& tables = is_mime_header(subject) ? checks_.mime_header : checks_.header;
  std::string prefix;
  bool keep = act(tables.find(subject), "header", subject, &prefix);
  if (!prefix.empty()) sink_(prefix);
  if (keep) sink_(header_);
  header_judged_ = true;
  header_dropped_ = !keep;
  header_.clear();
}

void ContentFilter::body_line(std::string_view l) {
  std::string_view subject = without_line_end(l);
  std::string prefix;
  bool keep = act(checks_.body.find(subject), "body", subject, &prefix);
  if (!prefix.empty()) sink_(prefix);
  if (keep) sink_(l);
  body_seen_ += l.size();
  if (phase_ == Phase::kBody && body_seen_ >= checks_.body_checks_size_limit) phase_ = Phase::kPassThrough;
}

bool ContentFilter::act(const std::optional<tables::RegexpTable::Match>& match, std::string_view where,
                        std::string_view subject, std::string* prefix) {
  if (!match) return true;
  auto action = tables::parse_check_action(match->result);
  if (!action) {
    report_("warning", where, subject,
            "table line " + std::to_string(match->line) + ": " + action.error().message + "; the line is kept");
    return true;
  }
  switch (action->kind) {
    case CheckAction::Kind::kDunno:
      return true;
    case CheckAction::Kind::kReject: {
      Verdict v;
      v.kind = Verdict::Kind::kReject;
      split_enhanced(action->text, "5.7.1", &v.enhanced, &v.text);
      if (v.text.empty()) v.text = "message content rejected";
      v.code = v.enhanced[0] == '4' ? 451 : 550;
      report_("reject", where, subject, v.enhanced + " " + v.text);
      stop(std::move(v));
      return true;
    }
    case CheckAction::Kind::kDiscard: {
      report_("discard", where, subject, action->text);
      Verdict v;
      v.kind = Verdict::Kind::kDiscard;
      v.text = action->text;
      stop(std::move(v));
      return true;
    }
    case CheckAction::Kind::kWarn:
      report_("warning", where, subject, action->text);
      return true;
    case CheckAction::Kind::kInfo:
      report_("info", where, subject, action->text);
      return true;
    case CheckAction::Kind::kIgnore:
      return false;
    case CheckAction::Kind::kPrepend:
      report_("prepend", where, subject, action->text);
      *prefix = action->text + "\r\n";
      return true;
    case CheckAction::Kind::kReplace:
      report_("replace", where, subject, action->text);
      *prefix = action->text + "\r\n";
      return false;
  }
  return true;
}

void ContentFilter::stop(Verdict v) {
  if (verdict_.kind == Verdict::Kind::kAccept) verdict_ = std::move(v);
  phase_ = Phase::kPassThrough;
}

}  // namespace tern::smtpd

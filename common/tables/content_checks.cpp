// ContentChecks: loading the check tables and parsing actions (see content_checks.h).
#include "common/tables/content_checks.h"

#include <algorithm>
#include <cctype>

#include "common/tables/table_name.h"

namespace tern::tables {
namespace {

using Kind = CheckAction::Kind;

struct Keyword {
  std::string_view name;
  Kind kind;
  bool needs_text;
};

constexpr Keyword kKeywords[] = {
    {"DUNNO", Kind::kDunno, false},     {"OK", Kind::kDunno, false},        {"REJECT", Kind::kReject, false},
    {"WARN", Kind::kWarn, false},       {"INFO", Kind::kInfo, false},       {"DISCARD", Kind::kDiscard, false},
    {"IGNORE", Kind::kIgnore, false},   {"PREPEND", Kind::kPrepend, true},  {"REPLACE", Kind::kReplace, true},
};

// Postfix actions Tern does not carry out: refused rather than skipped.
constexpr std::string_view kUnsupported[] = {"HOLD", "FILTER", "REDIRECT", "BCC", "STRIP", "PASS"};

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// One table: "regexp:/path" or "pcre:/path".
Result<RegexpTable> load_table(const std::string& parameter, const std::string& item) {
  size_t colon = item.find(':');
  std::string type = colon == std::string::npos ? "" : lowercase(item.substr(0, colon));
  if (type != "regexp" && type != "pcre")
    return fail(parameter + ": \"" + item + "\": want regexp:/path or pcre:/path (other table types are not supported for content checks)");
  std::string path = item.substr(colon + 1);
  if (path.empty() || path[0] != '/') return fail(parameter + ": \"" + item + "\": the table path must be absolute");
  return RegexpTable::load(path, type == "pcre" ? RegexpDialect::kPcre : RegexpDialect::kRegexp);
}

// Every rule's action keyword, checked now so that a typo stops start-up.
Result<void> check_actions(const RegexpTable& table) {
  for (const RegexpTable::Rule& rule : table.rules()) {
    if (rule.kind != RegexpTable::Rule::Kind::kMatch) continue;
    if (rule.result.starts_with("$")) continue;  // the action comes from the subject
    if (auto a = parse_check_action(rule.result); !a)
      return fail(table.path() + ":" + std::to_string(rule.line) + ": " + a.error().message);
  }
  return {};
}

Result<CheckTables> load_parameter(const config::Config& config, const std::string& parameter) {
  std::vector<RegexpTable> tables;
  for (const std::string& item : config.get_list(parameter)) {
    auto table = load_table(parameter, item);
    if (!table) return std::unexpected(table.error());
    if (auto ok = check_actions(*table); !ok) return std::unexpected(ok.error());
    tables.push_back(std::move(*table));
  }
  return CheckTables(std::move(tables));
}

}  // namespace

Result<CheckAction> parse_check_action(std::string_view result) {
  size_t end = 0;
  while (end < result.size() && result[end] != ' ' && result[end] != '\t') ++end;
  std::string keyword = upper(result.substr(0, end));
  std::string_view text = result.substr(end);
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  for (const Keyword& k : kKeywords) {
    if (keyword != k.name) continue;
    if (k.needs_text && text.empty()) return fail(keyword + " needs text");
    if ((k.kind == Kind::kDunno || k.kind == Kind::kIgnore) && !text.empty())
      return fail(keyword + " takes no text: \"" + std::string(text) + "\"");
    return CheckAction{k.kind, std::string(text)};
  }
  for (std::string_view u : kUnsupported)
    if (keyword == u) return fail("action " + keyword + " is not supported by Tern");
  return fail("unknown action \"" + std::string(result.substr(0, end)) +
              "\" (want REJECT, WARN, INFO, DISCARD, IGNORE, PREPEND, REPLACE, DUNNO or OK)");
}

std::optional<RegexpTable::Match> CheckTables::find(std::string_view subject) const {
  for (const RegexpTable& t : tables_)
    if (auto m = t.find(subject)) return m;
  return std::nullopt;
}

Result<std::shared_ptr<const ContentChecks>> ContentChecks::load(const config::Config& config,
                                                                 std::vector<std::string>* warnings) {
  auto checks = std::make_shared<ContentChecks>();
  auto header = load_parameter(config, "header_checks");
  if (!header) return std::unexpected(header.error());
  auto mime = load_parameter(config, "mime_header_checks");
  if (!mime) return std::unexpected(mime.error());
  auto nested = load_parameter(config, "nested_header_checks");
  if (!nested) return std::unexpected(nested.error());
  auto body = load_parameter(config, "body_checks");
  if (!body) return std::unexpected(body.error());
  if (!nested->empty() && config.get_list("nested_header_checks") != config.get_list("header_checks"))
    warnings->push_back("nested_header_checks: Tern does not inspect the headers of attached messages; these tables are not applied");
  checks->header = std::move(*header);
  checks->mime_header = std::move(*mime);
  checks->body = std::move(*body);
  checks->header_size_limit = static_cast<size_t>(std::max<int64_t>(1, config.get_int("header_size_limit")));
  checks->body_checks_size_limit = static_cast<size_t>(std::max<int64_t>(0, config.get_int("body_checks_size_limit")));
  if (checks->empty()) return std::shared_ptr<const ContentChecks>();
  return std::shared_ptr<const ContentChecks>(std::move(checks));
}

}  // namespace tern::tables

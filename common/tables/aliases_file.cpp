// aliases(5) parsing (see aliases_file.h).
#include "common/tables/aliases_file.h"

#include <set>

#include "common/tables/logical_lines.h"
#include "common/tables/table_name.h"

namespace tern::tables {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string where(std::string_view filename, int line) {
  return std::string(filename) + ":" + std::to_string(line) + ": ";
}

// Splits "a, "b, c", d" on commas outside double quotes. Returns false on an open quote.
bool split_targets(std::string_view text, std::vector<std::string>* out, std::string* why) {
  std::string current;
  bool quoted = false;
  auto finish = [&]() -> bool {
    std::string_view item = trim(current);
    if (item.size() >= 2 && item.front() == '"' && item.back() == '"' &&
        item.substr(1, item.size() - 2).find('"') == std::string_view::npos) {
      item = item.substr(1, item.size() - 2);
    }
    if (!item.empty()) out->emplace_back(item);
    current.clear();
    return true;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && quoted && i + 1 < text.size()) {
      current += c;
      current += text[++i];
    } else if (c == '"') {
      quoted = !quoted;
      current += c;
    } else if (c == ',' && !quoted) {
      finish();
    } else {
      current += c;
    }
  }
  if (quoted) {
    *why = "unterminated double quote";
    return false;
  }
  finish();
  return true;
}

// One logical line -> entry; false with *why on a bad line.
bool parse_entry(const LogicalLine& line, AliasEntry* entry, std::string* why) {
  if (line.orphan) {
    *why = "continuation line without an alias before it";
    return false;
  }
  std::string_view text = line.text;
  std::string name;
  size_t colon;
  if (text.front() == '"') {
    size_t close = text.find('"', 1);
    if (close == std::string_view::npos) {
      *why = "unterminated double quote in alias name";
      return false;
    }
    name = std::string(text.substr(1, close - 1));
    colon = text.find_first_not_of(" \t", close + 1);
    if (colon == std::string_view::npos || text[colon] != ':') {
      *why = "missing ':' after alias name";
      return false;
    }
  } else {
    colon = text.find(':');
    if (colon == std::string_view::npos) {
      *why = "missing ':' after alias name";
      return false;
    }
    name = std::string(trim(text.substr(0, colon)));
    if (name.find_first_of(" \t") != std::string::npos) {
      *why = "white space in alias name \"" + name + "\" (quote it)";
      return false;
    }
  }
  if (name.empty()) {
    *why = "empty alias name";
    return false;
  }
  entry->name = lowercase(name);
  entry->targets.clear();
  entry->line = line.line;
  if (!split_targets(text.substr(colon + 1), &entry->targets, why)) return false;
  if (entry->targets.empty()) {
    *why = "alias \"" + entry->name + "\" has no targets";
    return false;
  }
  for (const auto& target : entry->targets) {
    if (target.starts_with(":include:") && target.size() == 9) {
      *why = ":include: without a file name";
      return false;
    }
  }
  return true;
}

}  // namespace

std::vector<AliasEntry> parse_aliases_lenient(std::string_view text, std::string_view filename,
                                              std::vector<std::string>* errors) {
  std::vector<AliasEntry> entries;
  std::set<std::string, std::less<>> seen;
  for (const auto& line : logical_lines(text)) {
    AliasEntry entry;
    std::string why;
    if (!parse_entry(line, &entry, &why)) {
      errors->push_back(where(filename, line.line) + why);
      continue;
    }
    if (!seen.insert(entry.name).second) {
      errors->push_back(where(filename, line.line) + "duplicate alias \"" + entry.name +
                        "\" ignored");
      continue;
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

Result<std::vector<AliasEntry>> parse_aliases(std::string_view text, std::string_view filename) {
  std::vector<std::string> errors;
  auto entries = parse_aliases_lenient(text, filename, &errors);
  if (!errors.empty()) return fail(errors.front());
  return entries;
}

}  // namespace tern::tables

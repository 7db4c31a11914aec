// Table and the postmap text-table syntax (see table.h).
#include "common/tables/table.h"

#include "common/tables/logical_lines.h"
#include "common/tables/table_name.h"

namespace tern::tables {

Table Table::from_aliases(const std::vector<AliasEntry>& entries) {
  Table table;
  for (const auto& entry : entries) table.add(entry.name, entry.targets);
  return table;
}

Table Table::static_value(std::string value) {
  Table table;
  table.static_ = std::vector<std::string>{std::move(value)};
  return table;
}

const std::vector<std::string>* Table::find(std::string_view key) const {
  if (static_) return &*static_;
  auto it = entries_.find(lowercase(key));
  return it == entries_.end() ? nullptr : &it->second;
}

bool Table::add(std::string_view key, std::vector<std::string> values) {
  return entries_.emplace(lowercase(key), std::move(values)).second;
}

Table parse_text_table(std::string_view text, std::string_view filename,
                       std::vector<std::string>* errors) {
  Table table;
  for (const auto& line : logical_lines(text)) {
    std::string where = std::string(filename) + ":" + std::to_string(line.line) + ": ";
    if (line.orphan) {
      errors->push_back(where + "continuation line without a key before it");
      continue;
    }
    size_t blank = line.text.find_first_of(" \t");
    size_t value_at = blank == std::string::npos ? std::string::npos
                                                 : line.text.find_first_not_of(" \t", blank);
    if (value_at == std::string::npos) {
      errors->push_back(where + "expected format: key whitespace value");
      continue;
    }
    std::string key = line.text.substr(0, blank);
    if (!table.add(key, {line.text.substr(value_at)})) {
      errors->push_back(where + "duplicate key \"" + lowercase(key) + "\" ignored");
    }
  }
  return table;
}

}  // namespace tern::tables

// Table: one look-up table in memory -- lower-cased key -> values. A text table (postmap(1)
// input: "key  value", value kept as written) has one value per key; an aliases(5) table has
// the alias's targets. "static:VALUE" is a table that answers VALUE for every key.
// parse_text_table() reads postmap syntax; bad lines go to *errors as "file:line: why" and
// are skipped (the first of duplicate keys wins). Pure; no I/O.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/tables/aliases_file.h"

namespace tern::tables {

class Table {
 public:
  Table() = default;
  static Table from_aliases(const std::vector<AliasEntry>& entries);
  static Table static_value(std::string value);

  // The values for key (folded to lower case), or nullptr.
  const std::vector<std::string>* find(std::string_view key) const;
  // Adds key unless present; false when it was present.
  bool add(std::string_view key, std::vector<std::string> values);
  size_t size() const { return entries_.size(); }

 private:
  std::map<std::string, std::vector<std::string>, std::less<>> entries_;
  std::optional<std::vector<std::string>> static_;
};

Table parse_text_table(std::string_view text, std::string_view filename,
                       std::vector<std::string>* errors);

}  // namespace tern::tables

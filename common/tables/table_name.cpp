// Table names: Postfix type prefixes accepted, the text file read (see table_name.h).
#include "common/tables/table_name.h"

#include <array>

namespace tern::tables {
namespace {

constexpr std::array<std::string_view, 7> kFileTypes = {"hash:", "texthash:", "lmdb:", "btree:",
                                                        "cdb:", "dbm:", "sdbm:"};

}  // namespace

std::optional<std::string> table_path(std::string_view item) {
  for (std::string_view prefix : kFileTypes) {
    if (item.substr(0, prefix.size()) == prefix) {
      item.remove_prefix(prefix.size());
      if (item.empty()) return std::nullopt;
      return std::string(item);
    }
  }
  if (!item.empty() && item[0] == '/') return std::string(item);
  return std::nullopt;
}

bool is_table_item(std::string_view item) {
  if (!item.empty() && item[0] == '/') return true;
  // "type:name": a word of letters, digits and '_' before the colon ("[::1]" is no table).
  size_t colon = item.find(':');
  if (colon == 0 || colon == std::string_view::npos) return false;
  for (char c : item.substr(0, colon)) {
    bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!word) return false;
  }
  return true;
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace tern::tables

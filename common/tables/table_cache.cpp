// TableCache: tables read from text files, re-read when they change (see table_cache.h).
#include "common/tables/table_cache.h"

#include <sys/stat.h>

#include <cerrno>

#include "common/tables/file_text.h"
#include "common/tables/table_name.h"

namespace tern::tables {
namespace {

bool same_file(const struct stat& st, dev_t dev, ino_t ino, off_t size, const timespec& mtime) {
  return st.st_dev == dev && st.st_ino == ino && st.st_size == size &&
         st.st_mtim.tv_sec == mtime.tv_sec && st.st_mtim.tv_nsec == mtime.tv_nsec;
}

}  // namespace

Syntax syntax_for(std::string_view parameter) {
  return parameter == "alias_maps" || parameter == "alias_database" ? Syntax::kAliases
                                                                     : Syntax::kText;
}

Result<std::shared_ptr<const Table>> TableCache::get(std::string_view name, Syntax syntax) {
  if (name.starts_with("static:")) {
    return std::make_shared<const Table>(Table::static_value(std::string(name.substr(7))));
  }
  auto path = table_path(name);
  if (!path) return fail("table " + std::string(name) + ": unsupported table type");
  std::string cache_key = (syntax == Syntax::kAliases ? "a:" : "t:") + *path;
  struct stat st {};
  if (::stat(path->c_str(), &st) != 0) return fail_errno("table " + *path, errno);
  auto it = entries_.find(cache_key);
  if (it != entries_.end() &&
      same_file(st, it->second.dev, it->second.ino, it->second.size, it->second.mtime)) {
    return it->second.table;
  }
  auto text = read_file_text(*path, "table", &st);
  if (!text) return std::unexpected(text.error());
  std::vector<std::string> errors;
  Table table = syntax == Syntax::kAliases
                    ? Table::from_aliases(parse_aliases_lenient(*text, *path, &errors))
                    : parse_text_table(*text, *path, &errors);
  for (const auto& e : errors) warn_(e);
  Entry entry{st.st_dev, st.st_ino, st.st_size, st.st_mtim,
              std::make_shared<const Table>(std::move(table))};
  auto shared = entry.table;
  entries_.insert_or_assign(cache_key, std::move(entry));
  return shared;
}

Result<std::optional<std::vector<std::string>>> TableCache::find(
    const std::vector<std::string>& names, std::string_view key, Syntax syntax) {
  for (const auto& name : names) {
    auto table = get(name, syntax);
    if (!table) return std::unexpected(table.error());
    if (const auto* values = (*table)->find(key)) return std::optional(*values);
  }
  return std::optional<std::vector<std::string>>();
}

}  // namespace tern::tables

// TableCache: the tables a process has read, by name, re-read when the file changes (its
// mtime, size or inode), so that editing a table needs no reload and no postmap step.
// Bad lines are reported once per read through the warn callback ("file:line: why") and
// skipped. An unreadable file is an Error (the look-up is then a temporary failure).
// Not thread-safe: one owner, on one thread (lookup's loop).
#pragma once

#include <sys/types.h>

#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/tables/table.h"

namespace tern::tables {

enum class Syntax { kText, kAliases };

// The syntax of a table-valued parameter: aliases(5) for alias_maps and alias_database,
// postmap text for every other.
Syntax syntax_for(std::string_view parameter);

// Something that answers table look-ups: TableCache, or a fake in tests.
class TableLookup {
 public:
  virtual ~TableLookup() = default;
  // The values of the first table in `names` that has key; nullopt when none has it.
  virtual Result<std::optional<std::vector<std::string>>> find(
      const std::vector<std::string>& names, std::string_view key, Syntax syntax) = 0;
};

class TableCache : public TableLookup {
 public:
  using Warn = std::function<void(const std::string&)>;
  explicit TableCache(Warn warn) : warn_(std::move(warn)) {}

  // The table a name ("hash:/etc/aliases", "/etc/tern/virtual", "static:x") refers to.
  Result<std::shared_ptr<const Table>> get(std::string_view name, Syntax syntax);

  // The values of the first table in `names` that has key; nullopt when none has it. An
  // unreadable table before a match is an error (Postfix defers then, too).
  Result<std::optional<std::vector<std::string>>> find(const std::vector<std::string>& names,
                                                       std::string_view key, Syntax syntax) override;

 private:
  struct Entry {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    timespec mtime{};
    std::shared_ptr<const Table> table;
  };
  Warn warn_;
  std::map<std::string, Entry, std::less<>> entries_;  // by syntax + path
};

}  // namespace tern::tables

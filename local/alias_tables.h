// AliasTables: the aliases files named by alias_maps, read in a delivery child (as root) for
// expand_local(). Each table keeps its file's owner, whose privileges the table's |command
// and /file targets get (root -> default_privs). A table file that does not exist is skipped
// with a warning, as an empty table; one that cannot be read is an error (the recipient is
// deferred). Bad lines are logged and skipped; the good ones still work.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "common/tables/table.h"
#include "local/alias_expansion.h"

namespace tern::local {

class AliasTables {
 public:
  static Result<AliasTables> load(const config::Config& config);

  std::optional<AliasHit> lookup(const std::string& name) const;
  // lookup() and an :include: reader; valid while this object and config live.
  AliasSource source(const config::Config& config) const;

 private:
  struct Loaded {
    tables::Table table;
    UserIds owner;
  };
  std::vector<Loaded> tables_;
};

// Reads a whole file open as fd.
Result<std::string> read_whole_file(int fd, const std::string& what);

}  // namespace tern::local

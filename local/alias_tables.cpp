// AliasTables: reading alias_maps and :include: files with owners.
#include "local/alias_tables.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/log/log.h"
#include "common/spool/file_io.h"
#include "common/tables/aliases_file.h"
#include "common/tables/table_name.h"

namespace tern::local {

using spool::UniqueFd;

Result<std::string> read_whole_file(int fd, const std::string& what) {
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t got = ::read(fd, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return fail_errno("read " + what, errno);
    if (got == 0) return text;
    text.append(buf, static_cast<size_t>(got));
  }
}

Result<AliasTables> AliasTables::load(const config::Config& config) {
  AliasTables out;
  for (const std::string& item : config.get_list("alias_maps")) {
    auto path = tables::table_path(item);
    if (!path) {
      TERN_LOG_WARNING("alias_maps: unsupported table %s (ignored)", item.c_str());
      continue;
    }
    UniqueFd fd(::open(path->c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) {
      if (errno == ENOENT) {
        TERN_LOG_WARNING("alias_maps: %s does not exist (treated as empty)", path->c_str());
        continue;
      }
      return fail_errno("open alias table " + *path, errno);
    }
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return fail_errno("fstat " + *path, errno);
    auto text = read_whole_file(fd.get(), *path);
    if (!text) return std::unexpected(text.error());
    std::vector<std::string> errors;
    auto entries = tables::parse_aliases_lenient(*text, *path, &errors);
    for (const auto& e : errors) TERN_LOG_WARNING("%s (line ignored)", e.c_str());
    auto owner = owner_privileges(config, st.st_uid, st.st_gid);
    if (!owner) return std::unexpected(owner.error());
    out.tables_.push_back({tables::Table::from_aliases(entries), *owner});
  }
  return out;
}

std::optional<AliasHit> AliasTables::lookup(const std::string& name) const {
  for (const auto& loaded : tables_) {
    if (const auto* targets = loaded.table.find(name)) return AliasHit{*targets, loaded.owner};
  }
  return std::nullopt;
}

AliasSource AliasTables::source(const config::Config& config) const {
  AliasSource source;
  source.lookup = [this](const std::string& name) { return lookup(name); };
  source.read_include = [&config](const std::string& path, const UserIds& reader) -> Result<IncludeFile> {
    EffectiveIds ids;
    if (auto became = ids.become(reader.uid, reader.gid); !became) return std::unexpected(became.error());
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return fail_errno("open " + path, errno);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return fail_errno("fstat " + path, errno);
    if (!S_ISREG(st.st_mode)) return fail(path + ": not a regular file");
    auto text = read_whole_file(fd.get(), path);
    if (!text) return std::unexpected(text.error());
    ids.restore();
    auto owner = owner_privileges(config, st.st_uid, st.st_gid);
    if (!owner) return std::unexpected(owner.error());
    return IncludeFile{std::move(*text), std::move(*owner)};
  };
  return source;
}

}  // namespace tern::local

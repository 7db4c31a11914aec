// read_forward_file(): forward_path expansion, privileges and ownership checks (see forward_file.h).
#include "local/forward_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/log/log.h"
#include "common/spool/file_io.h"
#include "local/alias_tables.h"
#include "local/identity.h"

namespace tern::local {
namespace {

using spool::UniqueFd;

// Why a .forward may not be trusted, or "" when it may.
std::string untrusted_because(const struct stat& st, const UserIds& user) {
  if (!S_ISREG(st.st_mode)) return "not a regular file";
  if (st.st_uid != user.uid && st.st_uid != 0) return "owned by uid " + std::to_string(st.st_uid) + ", not by the user";
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) return "writable by group or others";
  return "";
}

}  // namespace

Result<std::optional<IncludeFile>> read_forward_file(const config::Config& config, const AddressedTo& recipient,
                                                     const std::string& user) {
  auto ids = process::lookup_user(user);
  if (!ids) return std::optional<IncludeFile>();  // no such user: deliver_to_user bounces it
  for (const std::string& path : config.get_list_with("forward_path", delivery_variables(recipient, *ids))) {
    if (path.empty() || path.front() != '/') continue;  // an empty $home: nowhere to look
    EffectiveIds as_user;
    if (auto became = as_user.become(ids->uid, ids->gid); !became) return std::unexpected(became.error());
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd.valid()) {
      int err = errno;
      if (err == ENOENT || err == ENOTDIR) continue;
      if (err == ELOOP) {
        TERN_LOG_WARNING("%s: ignored: a symbolic link", path.c_str());
        continue;
      }
      return fail_errno("open " + path, err);
    }
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return fail_errno("fstat " + path, errno);
    if (std::string why = untrusted_because(st, *ids); !why.empty()) {
      TERN_LOG_WARNING("%s: ignored: %s", path.c_str(), why.c_str());
      continue;
    }
    auto text = read_whole_file(fd.get(), path);
    if (!text) return std::unexpected(text.error());
    return std::optional<IncludeFile>(IncludeFile{std::move(*text), *ids});
  }
  return std::optional<IncludeFile>();
}

}  // namespace tern::local

// virtual_owner(): virtual_uid_maps / virtual_gid_maps look-ups.
#include "local/virtual_owner.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <optional>

#include "common/spool/file_io.h"
#include "common/tables/table.h"
#include "common/tables/table_name.h"
#include "local/alias_tables.h"
#include "local/thread_ids.h"

namespace tern::local {
namespace {

// The number the first table of `parameter` gives for address; nullopt when none is set
// or none has it.
Result<std::optional<long>> map_id(const config::Config& config, const char* parameter, const std::string& address) {
  for (const std::string& item : config.get_list(parameter)) {
    std::string value;
    if (item.starts_with("static:")) {
      value = item.substr(7);
    } else if (auto path = tables::table_path(item)) {
      spool::UniqueFd fd(::open(path->c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd.valid()) return fail_errno(std::string(parameter) + ": open " + *path, errno);
      auto text = read_whole_file(fd.get(), *path);
      if (!text) return std::unexpected(text.error());
      std::vector<std::string> errors;
      auto table = tables::parse_text_table(*text, *path, &errors);
      const auto* found = table.find(tables::lowercase(address));
      if (found == nullptr) {
        size_t at = address.rfind('@');
        if (at != std::string::npos) found = table.find(tables::lowercase(address.substr(at)));
      }
      if (found == nullptr || found->empty()) continue;
      value = found->front();
    } else {
      return fail(std::string(parameter) + ": unsupported table " + item);
    }
    long id = -1;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), id);
    if (ec != std::errc() || end != value.data() + value.size() || id < 0) {
      return fail(std::string(parameter) + ": not a number: " + value);
    }
    return std::optional<long>(id);
  }
  return std::optional<long>();
}

}  // namespace

Result<VirtualOwner> virtual_owner(const config::Config& config, const std::string& address) {
  auto uid = map_id(config, "virtual_uid_maps", address);
  if (!uid) return std::unexpected(uid.error());
  auto gid = map_id(config, "virtual_gid_maps", address);
  if (!gid) return std::unexpected(gid.error());
  struct stat st{};
  if (!uid->has_value() || !gid->has_value()) {  // the base's owner fills in what the maps leave
    std::string base = config.get("virtual_mailbox_base");
    if (::stat(base.c_str(), &st) != 0) return fail_errno("virtual_mailbox_base " + base, errno);
  }
  VirtualOwner owner{static_cast<uid_t>(uid->value_or(st.st_uid)), static_cast<gid_t>(gid->value_or(st.st_gid))};
  if (ThreadIds::current().privileged() &&
      (owner.uid == 0 || static_cast<int64_t>(owner.uid) < config.get_int("virtual_minimum_uid"))) {
    return fail("virtual mailbox uid " + std::to_string(owner.uid) + " is below virtual_minimum_uid");
  }
  return owner;
}

}  // namespace tern::local

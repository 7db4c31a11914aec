// newaliases: check alias_maps files and count their aliases.
#include "ctl/commands/newaliases_command.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "common/tables/aliases_file.h"
#include "common/tables/table_name.h"
#include "ctl/command.h"

namespace tern::ctl {

int run_newaliases_argv(int argc, char** argv) {
  const char* dir = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "-c") == 0 && i + 1 < argc) dir = argv[++i];
  }
  auto config = config::Config::load(config::config_directory_from(dir));
  if (!config) {
    std::fprintf(stderr, "newaliases: %s\n", config.error().message.c_str());
    return kExitConfig;
  }
  bool ok = true;
  for (const std::string& item : config->get_list("alias_maps")) {
    auto path = tables::table_path(item);
    if (!path) {
      std::fprintf(stderr, "newaliases: %s: not a file table (skipped)\n", item.c_str());
      continue;
    }
    std::ifstream in(*path, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "newaliases: %s: %s\n", path->c_str(), std::strerror(errno));
      ok = false;
      continue;
    }
    std::stringstream text;
    text << in.rdbuf();
    std::vector<std::string> errors;
    auto entries = tables::parse_aliases_lenient(text.str(), *path, &errors);
    for (const auto& e : errors) std::fprintf(stderr, "newaliases: %s\n", e.c_str());
    if (!errors.empty()) ok = false;
    std::printf("newaliases: %s: %zu aliases\n", path->c_str(), entries.size());
  }
  return ok ? kExitOk : kExitConfig;
}

}  // namespace tern::ctl

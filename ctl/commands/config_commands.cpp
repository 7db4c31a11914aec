// ternctl config check | config show [-n] [name ...]: validate and print the configuration,
// like `postfix check` and `postconf [-n]`.
#include <cstdio>
#include <set>
#include <string>

#include "common/config/config.h"
#include "common/tables/content_checks.h"
#include "ctl/command.h"

namespace tern::ctl {

int run_config_check(const Invocation& inv) {
  std::vector<config::Diagnostic> warnings;
  auto config = config::Config::load(inv.config_directory, &warnings);
  for (const auto& w : warnings) std::fprintf(stderr, "warning: %s\n", w.to_string().c_str());
  if (!config) {
    std::fprintf(stderr, "%s\n", config.error().message.c_str());
    return kExitConfig;
  }
  // The tables header_checks and body_checks name: patterns and actions, each as file:line.
  std::vector<std::string> check_warnings;
  auto checks = tables::ContentChecks::load(*config, &check_warnings);
  for (const auto& w : check_warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  if (!checks) {
    std::fprintf(stderr, "%s\n", checks.error().message.c_str());
    return kExitConfig;
  }
  std::printf("%s/tern.conf: ok\n", inv.config_directory.c_str());
  return kExitOk;
}

int run_config_show(const Invocation& inv) {
  bool only_explicit = false;
  std::set<std::string> names;
  for (const auto& arg : inv.args) {
    if (arg == "-n") {
      only_explicit = true;
    } else if (!arg.empty() && arg[0] == '-') {
      std::fprintf(stderr, "usage: ternctl config show [-n] [name ...]\n");
      return kExitUsage;
    } else {
      names.insert(arg);
    }
  }
  std::vector<config::Diagnostic> warnings;
  auto config = config::Config::load(inv.config_directory, &warnings);
  if (!config) {
    std::fprintf(stderr, "%s\n", config.error().message.c_str());
    return kExitConfig;
  }
  int status = kExitOk;
  for (const auto& name : names) {
    if (!config::Config::is_known(name)) {
      std::fprintf(stderr, "ternctl: warning: %s: unknown parameter\n", name.c_str());
      status = 1;
    }
  }
  for (const auto& [name, value] : config->all(only_explicit)) {
    if (!names.empty() && !names.count(name)) continue;
    std::printf("%s = %s\n", name.c_str(), value.c_str());
  }
  return status;
}

}  // namespace tern::ctl

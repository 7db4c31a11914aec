// Parsing of master's options.
#include "master/options.h"

#include <cstring>

#include "common/config/config.h"

namespace tern::master {

Result<Options> parse_options(int argc, char** argv) {
  Options options;
  const char* dir = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "-f") == 0) {
      options.foreground = true;
    } else if (std::strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
      dir = argv[++i];
    } else {
      return fail(std::string("unknown option '") + argv[i] + "'\nusage: master [-f] [-c config_directory]");
    }
  }
  options.config_directory = config::config_directory_from(dir);
  return options;
}

}  // namespace tern::master

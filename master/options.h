// master's command line: master [-f] [-c config_directory]
#pragma once

#include <string>

#include "common/result.h"

namespace tern::master {

struct Options {
  std::string config_directory;
  bool foreground = false;   // -f: stay attached, log to stderr
};

Result<Options> parse_options(int argc, char** argv);

}  // namespace tern::master

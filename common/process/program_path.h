// Where Tern's programs live: daemon_directory/NAME (installed layout), or
// daemon_directory/NAME/NAME (a meson build tree, where each program has its own folder).
#pragma once

#include <string>

#include "common/result.h"

namespace tern::process {

Result<std::string> program_path(const std::string& daemon_directory, const std::string& name);

}  // namespace tern::process

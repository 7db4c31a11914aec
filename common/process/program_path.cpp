// Resolves a program name to an executable path.
#include "common/process/program_path.h"

#include <sys/stat.h>
#include <unistd.h>

namespace tern::process {

Result<std::string> program_path(const std::string& daemon_directory, const std::string& name) {
  for (const std::string& candidate : {daemon_directory + "/" + name, daemon_directory + "/" + name + "/" + name}) {
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return fail("program '" + name + "' not found in daemon_directory " + daemon_directory);
}

}  // namespace tern::process

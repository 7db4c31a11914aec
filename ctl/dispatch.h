// Command-line dispatch for ternctl, and for the sendmail-compatible names it answers to.
#pragma once

#include <string>

namespace tern::ctl {

int run_ternctl(int argc, char** argv);
bool is_compatibility_name(const std::string& name);
int run_compatibility(const std::string& name, int argc, char** argv);

}  // namespace tern::ctl

// Parameters: the table of every parameter Tern knows — name, type, Postfix's default, the
// default unit of a time, an extra check, and a one-line description (printed as a comment
// by `ternctl config show`). Postfix's names and defaults wherever the concept is Postfix's
// (DESIGN.md §5). The table is constant data; look-ups are by name.
#pragma once

#include <span>
#include <string_view>

#include "common/config/checks.h"

namespace tern::config {

enum class Type { kString, kList, kTime, kSize, kInt, kBool };

struct Parameter {
  const char* name;
  Type type;
  // Unexpanded, as it would be written in tern.conf. nullptr: computed when looked up
  // (myhostname, mydomain, config_directory, daemon_directory; see config.cpp).
  const char* default_value;
  char unit;          // Type::kTime: the unit of a bare number (s m h d w); else 0
  Check check;        // extra validation of the expanded value, or nullptr
  const char* description;
};

// Every parameter, grouped by topic in the order of etc/tern.conf.
std::span<const Parameter> parameters();
// The parameter called name (an alias finds its own row), or nullptr.
const Parameter* find_parameter(std::string_view name);
// The name under which an alias's value lives: "queue_directory" -> "spool_directory";
// any other name unchanged. Setting either name sets both.
std::string_view canonical_name(std::string_view name);

}  // namespace tern::config

// Helpers for the config tests: parse a string as "t.conf" and get its errors, warnings or
// the Config itself.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/config/config.h"

namespace tern::config::testing {

inline std::string join(const std::vector<Diagnostic>& diagnostics) {
  std::string out;
  for (const Diagnostic& d : diagnostics) out += (out.empty() ? "" : "\n") + d.to_string();
  return out;
}

// The error message of parsing text, "" when it parses.
inline std::string errors_of(std::string_view text) {
  Result<Config> config = Config::parse(text, "t.conf");
  return config ? "" : config.error().message;
}

// The warnings of parsing text, one per line.
inline std::string warnings_of(std::string_view text) {
  std::vector<Diagnostic> warnings;
  (void)Config::parse(text, "t.conf", &warnings);
  return join(warnings);
}

// text parsed; the test fails when it does not parse.
inline Config must_parse(std::string_view text) {
  Result<Config> config = Config::parse(text, "t.conf");
  if (!config) FAIL("parse failed: " << config.error().message);
  return std::move(*config);
}

}  // namespace tern::config::testing

// The fuzzed entry point shared by the libFuzzer targets and the g++ replay runner: feeds one
// input to the SMTP command, path, BDAT, xtext and DATA parsers (common/smtp). Any crash,
// sanitizer report or CHECK failure is a bug; results are only checked for consistency.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tern::fuzz {
void run_smtp_parsers(const uint8_t* data, size_t size);
}

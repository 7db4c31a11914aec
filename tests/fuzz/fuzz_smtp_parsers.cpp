// libFuzzer target for the SMTP command, address and DATA parsers (built with -Dfuzz=true).
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/smtp_parsers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tern::fuzz::run_smtp_parsers(data, size);
  return 0;
}

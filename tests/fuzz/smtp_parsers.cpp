// The body of the SMTP parser fuzz targets (see smtp_parsers.h).
#include "tests/fuzz/smtp_parsers.h"

#include <cstdlib>
#include <string>
#include <string_view>

#include "common/smtp/address.h"
#include "common/smtp/body.h"
#include "common/smtp/command.h"

namespace tern::fuzz {

void run_smtp_parsers(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  smtp::Command c = smtp::parse_command(input);
  (void)smtp::parse_path_command(c.args, "FROM:", smtp::PathKind::kReverse, {.allow_utf8 = true});
  (void)smtp::parse_path_command(c.args, "TO:", smtp::PathKind::kForward, {});
  (void)smtp::parse_bdat(c.args);
  (void)smtp::decode_xtext(input);
  (void)smtp::parse_notify(input);
  for (bool utf8 : {false, true}) {
    size_t consumed = 0;
    auto path = smtp::parse_path(input, smtp::PathKind::kForward, {.allow_utf8 = utf8}, &consumed);
    if (path) {
      if (consumed > input.size()) abort();
      (void)path->mailbox.has_routing_syntax();
      (void)path->mailbox.unquoted_local_part();
    }
  }
  // DATA: the decoder never returns more than it was given, and never stops before its end.
  smtp::DataDecoder decoder(1 << 20, 1000);
  std::string out;
  size_t used = decoder.feed(input, &out);
  if (used > input.size() || out.size() > input.size()) abort();
  if (used < input.size() && !decoder.done()) abort();
}

}  // namespace tern::fuzz

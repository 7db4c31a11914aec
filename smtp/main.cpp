// smtp: outbound SMTP delivery (DESIGN.md §1).
#include "common/process/service.h"
#include "smtp/service.h"

int main(int argc, char** argv) {
  return tern::process::run_service(argc, argv, {.name = "smtp", .keep_root = false},
                                    &tern::smtp::SmtpDelivery::create);
}

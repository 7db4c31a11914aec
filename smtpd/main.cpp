// smtpd: the SMTP server for the listeners master hands it (DESIGN.md §1).
#include "common/process/service.h"
#include "smtpd/service.h"

int main(int argc, char** argv) {
  return tern::process::run_service(argc, argv, {.name = "smtpd", .work_threads = 32}, &tern::smtpd::SmtpServer::create);
}

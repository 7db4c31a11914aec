// local: local delivery: aliases, Maildir and mbox (DESIGN.md §1).
#include "common/process/service.h"
#include "local/service.h"

int main(int argc, char** argv) {
  return tern::process::run_service(argc, argv, {.name = "local", .keep_root = true, .work_threads = 32},
                                    &tern::local::LocalDelivery::create);
}

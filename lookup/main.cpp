// lookup: DNS, credential checks and table look-ups (DESIGN.md §1).
#include "common/process/service.h"
#include "lookup/service.h"

int main(int argc, char** argv) {
  return tern::process::run_service(argc, argv, {.name = "lookup", .keep_root = false},
                                    &tern::lookup::LookupService::create);
}

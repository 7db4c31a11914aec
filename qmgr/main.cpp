// qmgr: the queue: routing, scheduling, retries and bounces (DESIGN.md §1).
#include "common/process/service.h"
#include "qmgr/service.h"

int main(int argc, char** argv) {
  return tern::process::run_service(argc, argv, {.name = "qmgr", .keep_root = false},
                                    &tern::qmgr::QueueManager::create);
}

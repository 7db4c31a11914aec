// master: reads the config, prepares the spool, listeners and IPC sockets, then runs and
// supervises Tern's programs (DESIGN.md §1). Usage: master [-f] [-c config_directory]
#include <cstdio>

#include "common/log/log.h"
#include "master/master_process.h"
#include "master/options.h"

int main(int argc, char** argv) {
  auto options = tern::master::parse_options(argc, argv);
  if (!options) {
    std::fprintf(stderr, "master: %s\n", options.error().message.c_str());
    return 64;
  }
  tern::log::init("master", tern::log::Sink::kStderr);  // start-up errors go to the terminal

  auto master = tern::master::MasterProcess::prepare(*options);
  if (!master) {
    TERN_LOG_FATAL("%s", master.error().message.c_str());
    return 1;
  }
  if (!options->foreground) {
    if (auto detached = tern::master::daemonize(); !detached) {
      TERN_LOG_FATAL("%s", detached.error().message.c_str());
      return 1;
    }
    tern::log::init("master", tern::log::Sink::kSyslog);
    (*master)->pid_changed();
  }
  auto maillog = (*master)->open_maillog_file();
  if (!maillog) {
    TERN_LOG_FATAL("%s", maillog.error().message.c_str());
    return 1;
  }
  if (*maillog) tern::log::init("master", tern::log::Sink::kStderr);
  return (*master)->run();
}

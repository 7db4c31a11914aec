// ternctl: Tern's administration command; also mailq, sendmail and newaliases by argv[0].
//   ternctl [-c DIR] start|stop|reload|status|config check|config show [-n] [name...]
#include <cstdio>
#include <cstring>
#include <string>

#include "ctl/command.h"
#include "ctl/dispatch.h"

int main(int argc, char** argv) {
  std::string invoked_as = argv[0];
  if (auto slash = invoked_as.rfind('/'); slash != std::string::npos) invoked_as.erase(0, slash + 1);
  if (invoked_as != "ternctl" && tern::ctl::is_compatibility_name(invoked_as)) {
    return tern::ctl::run_compatibility(invoked_as, argc, argv);
  }
  return tern::ctl::run_ternctl(argc, argv);
}

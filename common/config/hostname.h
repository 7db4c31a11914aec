// Hostname: the machine's own name, for the default of myhostname (as Postfix finds it):
// gethostname(), and when that has no dot, the resolver's canonical name for it
// (getaddrinfo with AI_CANONNAME). The result may still have no dot; the caller completes it
// with $mydomain. "localhost" when gethostname() fails. Looked up once per process.
#pragma once

#include <string>

namespace tern::config {

const std::string& system_hostname();

}  // namespace tern::config

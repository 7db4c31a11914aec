// Listeners: the TCP sockets master binds for smtpd (smtp_listen, submission_listen,
// smtps_listen), kept open across reloads. Binding needs root for ports below 1024, which is
// why master does it before any child drops privileges.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "common/process/inherited_fds.h"
#include "common/result.h"

namespace tern::master {

class Listeners {
 public:
  Listeners() = default;
  ~Listeners();
  Listeners(const Listeners&) = delete;
  Listeners& operator=(const Listeners&) = delete;

  // Makes the open set match the config: sockets already bound for the same role and address
  // are kept (so a reload never drops a connection in the accept queue), new ones are bound,
  // ones no longer named are closed. On error nothing changes. Returns true if the set changed.
  Result<bool> update(const config::Config& config);

  // The fds with their roles ("smtp", "submission", "smtps"), for handing to smtpd.
  std::vector<process::NamedFd> fds() const;

 private:
  std::map<std::string, int> open_;  // "role address:port" -> fd
};

// Binds and listens on "address:port" or "[v6]:port" (non-blocking, close-on-exec).
Result<int> bind_tcp_listener(const std::string& endpoint);

}  // namespace tern::master

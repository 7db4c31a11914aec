// Connecting to a unix stream socket by path: the client side of the IPC sockets that master
// creates under <spool>/private/ (and of the public submission socket).
//
// connect_unix() never blocks: a unix-domain connect either completes at once or fails, and a
// full listen backlog is reported as EAGAIN rather than waited on, so it is safe to call from
// the loop thread. Errors are the errno of socket()/connect() (ENOENT: no socket file;
// ECONNREFUSED: nobody listening; EAGAIN: backlog full), as temporary failures for a caller
// that will retry.
#pragma once

#include <sys/un.h>

#include <string>

#include "common/result.h"

namespace tern::ipc {

// The socket address for `path`; fails when the path does not fit in sun_path.
Result<sockaddr_un> unix_address(const std::string& path);

// A connected, non-blocking, close-on-exec unix stream socket. The caller owns the fd.
Result<int> connect_unix(const std::string& path);

}  // namespace tern::ipc

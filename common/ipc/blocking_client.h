// blocking_call(): one request, one reply, for command-line programs (ternctl, mailq) that
// have no event loop. Connects to the socket, writes one frame, reads one frame with poll()
// under a single deadline for the whole exchange, and closes the socket.
//
// Errors: the connect errno (ENOENT/ECONNREFUSED: the daemon is not running), ETIMEDOUT when
// the deadline passes, ECONNRESET when the server closes before a full reply, EPROTO for a
// malformed frame, EMSGSIZE for a request that cannot be framed. Never raises SIGPIPE.
#pragma once

#include <google/protobuf/message_lite.h>

#include <cerrno>
#include <string>

#include "common/result.h"

namespace tern::ipc {

// The payload of the first frame the server sends back.
Result<std::string> blocking_call(const std::string& socket_path,
                                  const google::protobuf::MessageLite& request, int timeout_ms);

// blocking_call() parsed as Reply, checking that it echoes request.id().
template <class Reply, class Request>
Result<Reply> blocking_call_as(const std::string& socket_path, const Request& request,
                               int timeout_ms) {
  auto payload = blocking_call(socket_path, request, timeout_ms);
  if (!payload) return std::unexpected(payload.error());
  Reply reply;
  if (!reply.ParseFromString(*payload)) {
    return fail(socket_path + ": reply does not parse as " + reply.GetTypeName(), EPROTO);
  }
  if (reply.id() != request.id()) {
    return fail(socket_path + ": reply id " + std::to_string(reply.id()) +
                    " does not match request id " + std::to_string(request.id()),
                EPROTO);
  }
  return reply;
}

}  // namespace tern::ipc

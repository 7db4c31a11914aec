// RpcClientCore: lazy connect with back-off, id matching, timeouts, failing pending calls when
// the peer goes away.
#include "common/ipc/rpc_client.h"

#include <algorithm>
#include <cerrno>
#include <utility>
#include <vector>

#include "common/check.h"
#include "common/ipc/connect.h"
#include "common/log/log.h"

namespace tern::ipc {

RpcClientCore::RpcClientCore(uv_loop_t* loop, std::string socket_path, std::string peer_name,
                             const Message& reply_prototype, IdOf reply_id)
    : loop_(loop), path_(std::move(socket_path)), peer_name_(std::move(peer_name)),
      reply_prototype_(&reply_prototype), reply_id_(reply_id) {}

// Pending callbacks are dropped, not run (see the header): the owner is going away.
RpcClientCore::~RpcClientCore() = default;

void RpcClientCore::call(uint64_t id, const Message& request, uint64_t timeout_ms, Done done) {
  auto [it, inserted] =
      pending_.emplace(id, Pending{std::move(done), std::make_unique<uv::Timer>(loop_)});
  TERN_CHECK(inserted);
  uv::Timer& timer = *it->second.timer;  // stable: the Timer is on the heap
  if (auto connected = ensure_connected(); !connected) {
    fail_soon(id, std::move(connected.error()));
    return;
  }
  if (!channel_->send(request)) {
    // Either the message cannot be framed (logged by send), or the write failed and the
    // channel is closing, whose on_close would fail this call too: whichever comes first.
    if (channel_->is_open()) {
      fail_soon(id, Error{peer_name_ + ": request cannot be framed", EMSGSIZE});
    } else {
      fail_soon(id, Error{peer_name_ + ": connection lost while sending", ECONNRESET});
    }
    return;
  }
  timer.start(timeout_ms, [this, id, timeout_ms] {
    complete(id, fail(peer_name_ + ": no reply within " + std::to_string(timeout_ms) + " ms",
                      ETIMEDOUT));
  });
}

Result<void> RpcClientCore::ensure_connected() {
  if (channel_) {
    if (channel_->is_open()) return {};
    // Closed, on_close not yet delivered: it will fail the calls sent on it; a new connection
    // now would make the old channel's on_close unreachable.
    return fail(peer_name_ + ": connection is closing", ECONNRESET);
  }
  uint64_t now = uv_now(loop_);
  if (now < retry_at_ms_) {
    return fail(last_connect_error_.message + " (next attempt in " +
                    std::to_string(retry_at_ms_ - now) + " ms)",
                last_connect_error_.code);
  }
  auto connected = connect_now();
  if (connected) {
    backoff_ms_ = 0;
    retry_at_ms_ = 0;
    return {};
  }
  backoff_ms_ = backoff_ms_ == 0 ? kMinBackoffMs : std::min(backoff_ms_ * 2, kMaxBackoffMs);
  retry_at_ms_ = now + backoff_ms_;
  last_connect_error_ = connected.error();
  TERN_LOG_WARNING("%s (for %s); next attempt after %llu ms", last_connect_error_.message.c_str(),
                   peer_name_.c_str(),
                   static_cast<unsigned long long>(backoff_ms_));
  return connected;
}

Result<void> RpcClientCore::connect_now() {
  auto fd = connect_unix(path_);
  if (!fd) return std::unexpected(fd.error());
  auto channel = Channel::adopt(loop_, *fd);
  if (!channel) return std::unexpected(channel.error());
  uid_t uid = (*channel)->peer_uid();
  if (!policy_.allows(uid)) {
    return fail("ipc: " + path_ + " is served by uid " + std::to_string(uid) +
                    ", not an allowed user",
                EPERM);
  }
  channel_ = std::move(*channel);
  channel_->set_name(peer_name_);
  channel_->set_handlers([this](std::string_view payload) { on_frame(payload); },
                         [this](std::string_view reason) { on_close(reason); });
  return {};
}

void RpcClientCore::on_frame(std::string_view payload) {
  std::unique_ptr<Message> reply(reply_prototype_->New());
  if (!reply->ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    TERN_LOG_WARNING("ipc: %s: closing connection: reply does not parse as %s",
                     peer_name_.c_str(), reply_prototype_->GetTypeName().c_str());
    channel_->close("malformed reply");
    return;
  }
  uint64_t id = reply_id_(*reply);
  if (!pending_.contains(id)) {
    TERN_LOG_WARNING("ipc: %s: dropping reply with unknown id %llu (late or bogus)",
                     peer_name_.c_str(), static_cast<unsigned long long>(id));
    return;
  }
  complete(id, std::move(reply));
}

// The peer went away: every pending call fails now. The next call reconnects.
void RpcClientCore::on_close(std::string_view reason) {
  Error error{peer_name_ + ": connection lost: " + std::string(reason), ECONNRESET};
  channel_.reset();  // from inside its own on_close: allowed (channel.h)
  std::vector<Done> orphans;
  orphans.reserve(pending_.size());
  for (auto& [id, pending] : pending_) orphans.push_back(std::move(pending.done));
  pending_.clear();
  // Callbacks may call() again (new entries, new connection) or destroy this client: only
  // locals are touched from here on.
  for (Done& done : orphans) done(std::unexpected(error));
}

void RpcClientCore::fail_soon(uint64_t id, Error error) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  it->second.timer->start(0, [this, id, error = std::move(error)] {
    complete(id, std::unexpected(error));
  });
}

void RpcClientCore::complete(uint64_t id, Result<std::unique_ptr<Message>> result) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  Done done = std::move(it->second.done);
  pending_.erase(it);  // may destroy the timer whose callback is running: allowed (timer.cpp)
  done(std::move(result));
}

}  // namespace tern::ipc

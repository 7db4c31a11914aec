// SessionCache: reuse of idle outbound sessions (see session_cache.h).
#include "smtp/session_cache.h"

#include "common/log/log.h"

namespace tern::smtp {

SessionCache::SessionCache(uv_loop_t* loop, uint64_t idle_limit_ms)
    : loop_(loop), idle_limit_ms_(idle_limit_ms), sweeper_(loop) {}

std::unique_ptr<SmtpSession> SessionCache::take(const std::string& nexthop) {
  auto range = idle_.equal_range(nexthop);
  for (auto it = range.first; it != range.second;) {
    auto session = std::move(it->second.session);
    it = idle_.erase(it);
    if (session->reusable()) return session;  // a server that hung up is dropped here
  }
  return nullptr;
}

void SessionCache::put(const std::string& nexthop, std::unique_ptr<SmtpSession> session) {
  if (idle_limit_ms_ == 0 || !session->reusable()) {
    session->quit();
    return;
  }
  idle_.emplace(nexthop, Entry{std::move(session), uv_now(loop_)});
  if (!sweeper_.active()) sweeper_.start_repeating(std::max<uint64_t>(idle_limit_ms_ / 4, 100), [this] { sweep(); });
}

void SessionCache::sweep() {
  uint64_t now = uv_now(loop_);
  for (auto it = idle_.begin(); it != idle_.end();) {
    if (!it->second.session->reusable() || now - it->second.since_ms >= idle_limit_ms_) {
      it->second.session->quit();
      it = idle_.erase(it);
    } else {
      ++it;
    }
  }
  if (idle_.empty()) sweeper_.stop();
}

void SessionCache::clear() {
  for (auto& [hop, entry] : idle_) entry.session->quit();
  idle_.clear();
  sweeper_.stop();
}

}  // namespace tern::smtp

// SessionCache: idle outbound sessions kept for a short while (smtp_connection_cache_time_limit)
// so that the next job to the same nexthop skips connect, greeting, EHLO and TLS. Keyed by the
// nexthop as qmgr wrote it; a session enters only after a clean transaction. Runs on the loop.
#pragma once

#include <uv.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "common/uv/timer.h"
#include "smtp/session.h"

namespace tern::smtp {

class SessionCache {
 public:
  SessionCache(uv_loop_t* loop, uint64_t idle_limit_ms);
  // An idle, still usable session for nexthop, or null.
  std::unique_ptr<SmtpSession> take(const std::string& nexthop);
  void put(const std::string& nexthop, std::unique_ptr<SmtpSession> session);
  void clear();
  size_t size() const { return idle_.size(); }

 private:
  struct Entry {
    std::unique_ptr<SmtpSession> session;
    uint64_t since_ms;
  };
  void sweep();

  uv_loop_t* loop_;
  uint64_t idle_limit_ms_;
  std::multimap<std::string, Entry> idle_;
  uv::Timer sweeper_;
};

}  // namespace tern::smtp

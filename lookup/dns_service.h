// DnsService: lookup's DNS requests (mx, address, tlsa). Answers come from a TTL-respecting
// cache (positive and negative answers; temporary failures are not cached); a miss runs the
// blocking resolution (dns_resolve.h) on the work pool, and concurrent requests for the same
// question share one resolution. Equal-preference MX hosts are shuffled in every reply.
// Runs on the loop thread; callbacks run there too.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "lookup.pb.h"
#include "lookup/dns_resolve.h"
#include "lookup/dns_settings.h"
#include "lookup/work_pool.h"

namespace tern::lookup {

class DnsService {
 public:
  using Reply = std::function<void(const proto::LookupReply&)>;
  DnsService(uv_loop_t* loop, DnsSettings settings);

  // New resolvers: the cache is emptied.
  void reconfigure(DnsSettings settings);
  void mx(const proto::LookupRequest& request, Reply reply);
  void address(const proto::LookupRequest& request, Reply reply);
  void tlsa(const proto::LookupRequest& request, Reply reply);

 private:
  struct Cached {
    proto::LookupReply reply;
    uint64_t expires_ms = 0;
  };
  struct Waiter {
    uint64_t id;
    Reply reply;
  };
  void answer(const std::string& key, uint64_t id, Reply reply,
              std::function<DnsAnswer(const DnsSettings&)> resolve);
  void send(const proto::LookupReply& cached, uint64_t id, const Reply& reply);

  uv_loop_t* loop_;
  DnsSettings settings_;
  std::map<std::string, Cached> cache_;
  std::map<std::string, std::vector<Waiter>> pending_;
  std::mt19937 random_;
  AliveToken alive_ = std::make_shared<bool>(true);
};

}  // namespace tern::lookup

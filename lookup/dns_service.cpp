// DnsService: cache, coalescing and shuffling around the blocking resolution (see
// dns_service.h).
#include "lookup/dns_service.h"

#include <algorithm>

#include "common/log/log.h"
#include "lookup/dns_query.h"

namespace tern::lookup {
namespace {

constexpr size_t kMaxCacheEntries = 20000;

proto::LookupReply bad_request(const std::string& why) {
  proto::LookupReply reply;
  reply.set_status(proto::DNS_PERMFAIL);
  reply.set_error(why);
  return reply;
}

}  // namespace

DnsService::DnsService(uv_loop_t* loop, DnsSettings settings)
    : loop_(loop), settings_(std::move(settings)), random_(std::random_device{}()) {}

void DnsService::reconfigure(DnsSettings settings) {
  settings_ = std::move(settings);
  cache_.clear();
}

void DnsService::mx(const proto::LookupRequest& request, Reply reply) {
  std::string domain = normal_name(request.mx().domain());
  if (domain.empty()) return send(bad_request("mx: empty domain"), request.id(), reply);
  answer("mx " + domain, request.id(), std::move(reply),
         [domain](const DnsSettings& s) { return resolve_mx(s, domain); });
}

void DnsService::address(const proto::LookupRequest& request, Reply reply) {
  std::string host = normal_name(request.address().host());
  if (host.empty()) return send(bad_request("address: empty host"), request.id(), reply);
  answer("address " + host, request.id(), std::move(reply),
         [host](const DnsSettings& s) { return resolve_address(s, host); });
}

void DnsService::tlsa(const proto::LookupRequest& request, Reply reply) {
  std::string host = normal_name(request.tlsa().host());
  uint32_t port = request.tlsa().port() == 0 ? 25 : request.tlsa().port();
  if (host.empty() || port > 65535) return send(bad_request("tlsa: bad host or port"), request.id(), reply);
  answer("tlsa " + std::to_string(port) + " " + host, request.id(), std::move(reply),
         [host, port](const DnsSettings& s) { return resolve_tlsa(s, host, port); });
}

void DnsService::answer(const std::string& key, uint64_t id, Reply reply,
                        std::function<DnsAnswer(const DnsSettings&)> resolve) {
  uint64_t now = uv_now(loop_);
  if (auto it = cache_.find(key); it != cache_.end()) {
    if (it->second.expires_ms > now) return send(it->second.reply, id, reply);
    cache_.erase(it);
  }
  auto& waiters = pending_[key];
  waiters.push_back({id, std::move(reply)});
  if (waiters.size() > 1) return;  // already being resolved
  auto result = std::make_shared<DnsAnswer>();
  run_on_work_pool(
      loop_, alive_, [result, resolve = std::move(resolve), settings = settings_] { *result = resolve(settings); },
      [this, key, result] {
        if (result->reply.status() == proto::DNS_TEMPFAIL) {
          TERN_LOG_WARNING("%s: %s", key.c_str(), result->reply.error().c_str());
        }
        if (result->ttl > 0) {
          if (cache_.size() >= kMaxCacheEntries) cache_.clear();
          cache_[key] = {result->reply, uv_now(loop_) + uint64_t{result->ttl} * 1000};
        }
        auto node = pending_.extract(key);
        if (node.empty()) return;
        for (const auto& waiter : node.mapped()) send(result->reply, waiter.id, waiter.reply);
      });
}

void DnsService::send(const proto::LookupReply& cached, uint64_t id, const Reply& reply) {
  proto::LookupReply out = cached;
  out.set_id(id);
  // Hosts are sorted by preference; shuffle each run of equal preference.
  auto* hosts = out.mutable_hosts();
  for (int start = 0; start < hosts->size();) {
    int end = start;
    while (end < hosts->size() && hosts->Get(end).preference() == hosts->Get(start).preference()) ++end;
    for (int i = end - 1; i > start; --i) {
      std::uniform_int_distribution<int> pick(start, i);
      hosts->SwapElements(i, pick(random_));
    }
    start = end;
  }
  reply(out);
}

}  // namespace tern::lookup

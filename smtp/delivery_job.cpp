// DeliveryJob: queue file -> routes -> sessions -> per-recipient results (see delivery_job.h).
#include "smtp/delivery_job.h"

#include <arpa/inet.h>

#include "common/log/log.h"
#include "smtp/data_encoder.h"

namespace tern::smtp {
namespace {

constexpr uint64_t kLookupTimeoutMs = 30000;

bool has_8bit(const std::string& s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return true;
  }
  return false;
}

bool is_ip(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

DeliveryJob::DeliveryJob(JobDeps deps, proto::DeliveryRequest request, Done done)
    : deps_(deps), request_(std::move(request)), done_(std::move(done)) {}

void DeliveryJob::start() {
  auto hop = parse_nexthop(request_.nexthop());
  if (!hop) return finish_all(proto::RecipientResult::DEFERRED, "4.3.5", hop.error().message);
  nexthop_ = *hop;
  read_message_async(deps_.loop, request_.queue_id(), alive_,
                     [this](Result<QueuedMessage> message) { on_message(std::move(message)); });
}

void DeliveryJob::on_message(Result<QueuedMessage> message) {
  if (!message) return finish_all(proto::RecipientResult::DEFERRED, "4.3.0", message.error().message);
  const auto& env = message->file.envelope;
  const std::string& bytes = message->bytes;
  transaction_.queue_id = request_.queue_id();
  transaction_.sender = request_.sender();
  transaction_.recipients.assign(request_.recipients().begin(), request_.recipients().end());
  transaction_.message_size = bytes.size();
  transaction_.eightbit = env.body_8bitmime() || has_8bit(bytes);
  bool utf8 = has_8bit(request_.sender()) || headers_have_8bit(bytes);
  for (const auto& r : request_.recipients()) utf8 = utf8 || has_8bit(r.address());
  transaction_.needs_smtputf8 = env.smtputf8() && utf8;
  transaction_.ret = env.ret();
  transaction_.envid = env.envid();
  transaction_.wire_data = encode_data(bytes);

  if (auto session = deps_.cache->take(request_.nexthop())) {
    TERN_LOG_DEBUG("%s: reusing connection to %s", request_.queue_id().c_str(), session->target().relay().c_str());
    return run_on(std::move(session));
  }
  fetch_tls_policy();
}

// smtp_tls_policy_maps, keyed by the nexthop as qmgr wrote it ("example.com", "[host]:port"),
// overrides smtp_tls_security_level for that destination.
void DeliveryJob::fetch_tls_policy() {
  if (nexthop_.lmtp) {  // LMTP runs to a local or trusted server: no TLS, as Postfix's lmtp default
    tls_level_ = TlsLevel::kNone;
    return resolve();
  }
  tls_level_ = parse_tls_level(deps_.config->get("smtp_tls_security_level")).value_or(TlsLevel::kMay);
  if (deps_.config->get_list("smtp_tls_policy_maps").empty()) return resolve();
  proto::LookupRequest req;
  req.mutable_table()->set_parameter("smtp_tls_policy_maps");
  req.mutable_table()->set_key(request_.nexthop());
  deps_.lookup->call(req, kLookupTimeoutMs, [this](Result<proto::LookupReply> reply) {
    if (!reply || reply->status() != proto::DNS_OK) {
      return finish_all(proto::RecipientResult::DEFERRED, "4.3.0",
                        "smtp_tls_policy_maps look-up of " + request_.nexthop() + " failed: " +
                            (reply ? reply->error() : reply.error().message));
    }
    if (reply->found() && reply->values_size() > 0) {
      auto level = parse_tls_level(reply->values(0));
      if (!level) {
        return finish_all(proto::RecipientResult::DEFERRED, "4.3.0",
                          "smtp_tls_policy_maps: bad TLS level \"" + reply->values(0) + "\" for " + request_.nexthop());
      }
      tls_level_ = *level;
      TERN_LOG_DEBUG("%s: TLS policy for %s: %s", request_.queue_id().c_str(), request_.nexthop().c_str(),
                     tls_level_name(tls_level_));
    }
    resolve();
  });
}

void DeliveryJob::resolve() {
  if (!nexthop_.unix_path.empty()) return on_resolved({Target{nexthop_.host, "", 0, nexthop_.unix_path}});
  if (nexthop_.ip_literal) return on_resolved({Target{nexthop_.host, nexthop_.host, nexthop_.port}});
  proto::LookupRequest req;
  if (nexthop_.mx_lookup) req.mutable_mx()->set_domain(nexthop_.host);
  else req.mutable_address()->set_host(nexthop_.host);
  deps_.lookup->call(req, kLookupTimeoutMs, [this](Result<proto::LookupReply> reply) {
    if (!reply) {
      return finish_all(proto::RecipientResult::DEFERRED, "4.4.3",
                        "look-up of " + nexthop_.host + " failed: " + reply.error().message);
    }
    std::string what = nexthop_.mx_lookup ? " type=MX" : " type=A/AAAA";
    switch (reply->status()) {
      case proto::DNS_OK: break;
      case proto::DNS_NULLMX:
        return finish_all(proto::RecipientResult::BOUNCED, "5.1.10",
                          "Domain " + nexthop_.host + " does not accept mail (nullMX)");
      case proto::DNS_NOTFOUND:
      case proto::DNS_PERMFAIL:
        return finish_all(proto::RecipientResult::BOUNCED, "5.4.4",
                          "Host or domain name not found. Name service error for name=" + nexthop_.host + what +
                              ": " + (reply->error().empty() ? "Host not found" : reply->error()));
      default:
        return finish_all(proto::RecipientResult::DEFERRED, "4.4.3",
                          "Host or domain name not found. Name service error for name=" + nexthop_.host + what +
                              ": " + (reply->error().empty() ? "Host not found, try again" : reply->error()));
    }
    std::vector<Target> targets;
    for (const auto& host : reply->hosts()) {
      if (reply->authenticated_data() && host.authenticated()) dnssec_hosts_.insert(host.name());
      for (const auto& addr : host.addresses()) targets.push_back(Target{host.name(), addr, nexthop_.port});
    }
    on_resolved(std::move(targets));
  });
}

void DeliveryJob::on_resolved(std::vector<Target> targets) {
  int64_t limit = deps_.config->get_int("smtp_mx_address_limit");
  if (limit > 0 && targets.size() > static_cast<size_t>(limit)) targets.resize(static_cast<size_t>(limit));
  if (targets.empty()) {
    return finish_all(proto::RecipientResult::DEFERRED, "4.4.4", "no address found for " + nexthop_.host);
  }
  targets_ = std::move(targets);
  last_failure_.diagnostic = "no server for " + nexthop_.host + " could be reached";
  fetch_credentials();
}

void DeliveryJob::fetch_credentials() {
  if (nexthop_.lmtp || !deps_.config->get_bool("smtp_sasl_auth_enable") ||
      deps_.config->get_list("smtp_sasl_password_maps").empty()) {
    return try_next();
  }
  proto::LookupRequest req;
  req.mutable_table()->set_parameter("smtp_sasl_password_maps");
  req.mutable_table()->set_key(request_.nexthop());
  deps_.lookup->call(req, kLookupTimeoutMs, [this](Result<proto::LookupReply> reply) {
    // Without the credentials the relay would refuse the mail for good: wait for the table.
    if (!reply || reply->status() != proto::DNS_OK) {
      return finish_all(proto::RecipientResult::DEFERRED, "4.3.0",
                        "smtp_sasl_password_maps look-up of " + request_.nexthop() + " failed: " +
                            (reply ? reply->error() : reply.error().message));
    }
    if (reply->found() && reply->values_size() > 0) {
      const std::string& v = reply->values(0);
      size_t colon = v.find(':');
      if (colon != std::string::npos) credentials_ = std::make_pair(v.substr(0, colon), v.substr(colon + 1));
    }
    try_next();
  });
}

SessionPolicy DeliveryJob::policy(const Target& target) const {
  const auto& c = *deps_.config;
  SessionPolicy p;
  p.log_id = request_.queue_id();
  p.helo_name = c.get("smtp_helo_name");
  p.tls_level = tls_level_;
  if (tls_level_ == TlsLevel::kDane) {
    auto it = dane_.find(target.hostname);
    p.tls_level = it == dane_.end() ? TlsLevel::kMay : it->second.level;
    if (p.tls_level == TlsLevel::kDane) {
      p.dane_tlsa = it->second.records;
      p.dane_names = {target.hostname};
      if (target.hostname != nexthop_.host) p.dane_names.push_back(nexthop_.host);
    }
  }
  const auto& context = p.tls_level == TlsLevel::kVerify ? deps_.tls_verify : deps_.tls_may;
  p.tls_context = context.value_or(nullptr);
  p.reuse_limit = c.get_int("smtp_connection_reuse_count_limit");
  p.lmtp = nexthop_.lmtp;
  p.bind_address = c.get("smtp_bind_address");
  p.credentials = credentials_;
  bool noplaintext = false;
  for (const auto& o : c.get_list("smtp_sasl_security_options")) noplaintext = noplaintext || o == "noplaintext";
  p.auth_allow_plaintext = !noplaintext;
  p.timeouts.connect = c.get_time("smtp_connect_timeout");
  p.timeouts.helo = c.get_time("smtp_helo_timeout");
  p.timeouts.starttls = c.get_time("smtp_starttls_timeout");
  p.timeouts.mail = c.get_time("smtp_mail_timeout");
  p.timeouts.rcpt = c.get_time("smtp_rcpt_timeout");
  p.timeouts.data_init = c.get_time("smtp_data_init_timeout");
  p.timeouts.data_xfer = c.get_time("smtp_data_xfer_timeout");
  p.timeouts.data_done = c.get_time("smtp_data_done_timeout");
  p.timeouts.quit = c.get_time("smtp_quit_timeout");
  return p;
}

void DeliveryJob::try_next() {
  if (next_target_ >= targets_.size() && !plaintext_retry_) {
    return finish_all(proto::RecipientResult::DEFERRED, last_failure_.dsn, last_failure_.diagnostic);
  }
  if (plaintext_retry_) {
    // Postfix's behaviour at "may": a failed handshake is retried once without TLS.
    plaintext_retry_ = false;
    return open_target(targets_[next_target_ - 1], true);
  }
  Target target = targets_[next_target_++];
  bool dane = tls_level_ == TlsLevel::kDane && !is_ip(target.hostname);
  if (dane && !dnssec_hosts_.contains(target.hostname)) {
    // An insecure MX or address answer could have been forged: its TLSA records mean nothing.
    TERN_LOG_DEBUG("%s: %s: DANE not applicable, MX or address records not DNSSEC-validated; TLS level may",
                   request_.queue_id().c_str(), target.hostname.c_str());
    dane = false;
  }
  if (!dane || dane_.contains(target.hostname)) return open_target(std::move(target), false);
  // RFC 7672: the TLSA records of the MX host (its name, the port we connect to).
  proto::LookupRequest req;
  req.mutable_tlsa()->set_host(target.hostname);
  req.mutable_tlsa()->set_port(target.port);
  deps_.lookup->call(req, kLookupTimeoutMs, [this, target](Result<proto::LookupReply> reply) {
    DaneDecision decision = decide_dane(reply, target.hostname, target.port);
    if (!decision.error.empty()) {
      // Not usable without knowing its TLSA records; another MX host may be.
      last_failure_ = Failure{.dsn = "4.7.5", .diagnostic = decision.error};
      TERN_LOG_INFO("%s: %s", request_.queue_id().c_str(), decision.error.c_str());
      return try_next();
    }
    TERN_LOG_DEBUG("%s: %s: DANE level %s with %zu usable TLSA records", request_.queue_id().c_str(),
                   target.hostname.c_str(), tls_level_name(decision.level), decision.records.size());
    dane_.emplace(target.hostname, std::move(decision));
    open_target(target, false);
  });
}

void DeliveryJob::open_target(Target target, bool plaintext_retry) {
  SessionPolicy p = policy(target);
  p.try_tls = !plaintext_retry;
  if (p.tls_level != TlsLevel::kNone && !p.tls_context) {
    bool verify = p.tls_level == TlsLevel::kVerify;
    const auto& context = verify ? deps_.tls_verify : deps_.tls_may;
    std::string why = context ? "no client TLS context" : context.error().message;
    return finish_all(proto::RecipientResult::DEFERRED, "4.7.5",
                      std::string("TLS is required, but ") +
                          (verify ? "server certificates cannot be verified: " : "TLS is unavailable: ") + why);
  }
  session_ = std::make_unique<SmtpSession>(deps_.loop, target, p);
  session_->open([this, may = p.tls_level == TlsLevel::kMay && p.try_tls](std::optional<Failure> failure) {
    if (failure) {
      last_failure_ = *failure;
      plaintext_retry_ = failure->tls_handshake && may;
      session_.reset();
      return try_next();
    }
    run_on(std::move(session_));
  });
}

void DeliveryJob::run_on(std::unique_ptr<SmtpSession> session) {
  session_ = std::move(session);
  session_->deliver(transaction_, [this](std::vector<proto::RecipientResult> results) {
    if (session_->reusable()) {
      deps_.cache->put(request_.nexthop(), std::move(session_));
    } else {
      session_.reset();
    }
    finish(std::move(results));
  });
}

void DeliveryJob::finish_all(proto::RecipientResult::Outcome outcome, const std::string& dsn,
                             const std::string& diagnostic) {
  std::vector<proto::RecipientResult> results;
  for (const auto& r : request_.recipients()) {
    proto::RecipientResult result;
    result.set_index(r.index());
    result.set_outcome(outcome);
    result.set_dsn_status(dsn);
    result.set_diagnostic(diagnostic);
    if (next_target_ > 0 && next_target_ <= targets_.size()) result.set_relay(targets_[next_target_ - 1].relay());
    else result.set_relay("none");
    results.push_back(std::move(result));
  }
  finish(std::move(results));
}

void DeliveryJob::finish(std::vector<proto::RecipientResult> results) {
  proto::DeliveryReply reply;
  reply.set_id(request_.id());
  for (auto& r : results) *reply.add_results() = std::move(r);
  auto done = std::move(done_);
  done(std::move(reply));  // may schedule this job's destruction; nothing after it
}

}  // namespace tern::smtp

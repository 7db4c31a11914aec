// DeliveryJob: queue file -> routes -> sessions -> per-recipient results (see delivery_job.h).
#include "smtp/delivery_job.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "common/log/log.h"
#include "common/spool/file_io.h"
#include "common/spool/layout.h"
#include "common/spool/queue_file.h"
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

Result<std::string> read_message(const std::string& queue_id, spool::ParsedQueueFile* parsed) {
  std::string name = std::string(spool::kQueueDir) + "/" + queue_id;
  int fd = ::open(name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return fail_errno(name + ": open", errno);
  spool::UniqueFd owned(fd);
  auto file = spool::read_queue_fd(fd, name);
  if (!file) return std::unexpected(file.error());
  std::string bytes(file->message_length, '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::pread(fd, bytes.data() + done, bytes.size() - done,
                        static_cast<off_t>(file->message_offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail_errno(name + ": read", n < 0 ? errno : EIO);
    done += static_cast<size_t>(n);
  }
  *parsed = std::move(*file);
  return bytes;
}

TlsLevel parse_level(const std::string& level) {
  if (level == "none") return TlsLevel::kNone;
  if (level == "encrypt") return TlsLevel::kEncrypt;
  if (level == "verify" || level == "secure") return TlsLevel::kVerify;
  return TlsLevel::kMay;  // "", "may", and "dane" until DANE is done (see the report)
}

}  // namespace

DeliveryJob::DeliveryJob(JobDeps deps, proto::DeliveryRequest request, Done done)
    : deps_(deps), request_(std::move(request)), done_(std::move(done)) {}

void DeliveryJob::start() {
  auto hop = parse_nexthop(request_.nexthop());
  if (!hop) return finish_all(proto::RecipientResult::DEFERRED, "4.3.5", hop.error().message);
  nexthop_ = *hop;

  spool::ParsedQueueFile parsed;
  auto message = read_message(request_.queue_id(), &parsed);
  if (!message) return finish_all(proto::RecipientResult::DEFERRED, "4.3.0", message.error().message);
  const auto& env = parsed.envelope;
  transaction_.queue_id = request_.queue_id();
  transaction_.sender = request_.sender();
  transaction_.recipients.assign(request_.recipients().begin(), request_.recipients().end());
  transaction_.message_size = message->size();
  transaction_.eightbit = env.body_8bitmime() || has_8bit(*message);
  bool utf8 = has_8bit(request_.sender()) || headers_have_8bit(*message);
  for (const auto& r : request_.recipients()) utf8 = utf8 || has_8bit(r.address());
  transaction_.needs_smtputf8 = env.smtputf8() && utf8;
  transaction_.ret = env.ret();
  transaction_.envid = env.envid();
  transaction_.wire_data = encode_data(*message);

  if (auto session = deps_.cache->take(request_.nexthop())) {
    TERN_LOG_DEBUG("%s: reusing connection to %s", request_.queue_id().c_str(), session->target().relay().c_str());
    return run_on(std::move(session));
  }
  resolve();
}

void DeliveryJob::resolve() {
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
  if (!deps_.config->get_bool("smtp_sasl_auth_enable") || deps_.config->get_list("smtp_sasl_password_maps").empty()) {
    return try_next();
  }
  proto::LookupRequest req;
  req.mutable_table()->set_parameter("smtp_sasl_password_maps");
  req.mutable_table()->set_key(request_.nexthop());
  deps_.lookup->call(req, kLookupTimeoutMs, [this](Result<proto::LookupReply> reply) {
    if (!reply) {
      return finish_all(proto::RecipientResult::DEFERRED, "4.3.0",
                        "smtp_sasl_password_maps look-up failed: " + reply.error().message);
    }
    if (reply->found() && reply->values_size() > 0) {
      const std::string& v = reply->values(0);
      size_t colon = v.find(':');
      if (colon != std::string::npos) credentials_ = std::make_pair(v.substr(0, colon), v.substr(colon + 1));
    }
    try_next();
  });
}

SessionPolicy DeliveryJob::policy() const {
  const auto& c = *deps_.config;
  SessionPolicy p;
  p.helo_name = c.get("smtp_helo_name");
  p.tls_level = parse_level(c.get("smtp_tls_security_level"));
  p.tls_context = p.tls_level == TlsLevel::kVerify ? deps_.tls_verify : deps_.tls_may;
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
  SessionPolicy p = policy();
  Target target;
  if (plaintext_retry_) {
    // Postfix's behaviour at "may": a failed handshake is retried once without TLS.
    plaintext_retry_ = false;
    p.try_tls = false;
    target = targets_[next_target_ - 1];
  } else {
    target = targets_[next_target_++];
  }
  if (p.tls_level != TlsLevel::kNone && !p.tls_context) {
    return finish_all(proto::RecipientResult::DEFERRED, "4.7.5", "TLS is required, but no client TLS context is available");
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

// DeliveryJob: one DeliveryRequest from qmgr, from queue file to per-recipient results.
//   load the queue file (work pool) -> TLS level (smtp_tls_policy_maps, else
//   smtp_tls_security_level) -> resolve the nexthop (lookup: MX or address; IP literals
//   directly) -> credentials for AUTH (lookup table) -> try each server address in order (at
//   "dane", after a TLSA look-up for that server: tls_policy.h), reusing an idle cached session
//   to the same nexthop when there is one -> one RecipientResult each.
// An "lmtp:" nexthop (nexthop.h) is an LMTP server: no TLS, no AUTH, no MX look-up; a
// unix-domain socket needs no look-up at all.
// DANE (RFC 7672 §2.2) applies to a server only when the MX answer and that host's address
// records were DNSSEC-validated; otherwise no TLSA look-up is made and "dane" acts as "may".
// A server that cannot be reached, refuses the greeting or fails EHLO/TLS is skipped for the
// next; when none works every recipient is DEFERRED with the last reason. Runs on the loop.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "common/ipc/rpc_client.h"
#include "delivery.pb.h"
#include "lookup.pb.h"
#include "smtp/message_reader.h"
#include "smtp/nexthop.h"
#include "smtp/session.h"
#include "smtp/session_cache.h"
#include "smtp/tls_policy.h"

namespace tern::smtp {

using LookupClient = ipc::RpcClient<proto::LookupRequest, proto::LookupReply>;

struct JobDeps {
  uv_loop_t* loop;
  const config::Config* config;
  LookupClient* lookup;
  SessionCache* cache;
  // The client contexts, or why there is none (e.g. no CA file for verification).
  Result<std::shared_ptr<tls::TlsContext>> tls_may;     // no verification demanded
  Result<std::shared_ptr<tls::TlsContext>> tls_verify;  // CA + host name demanded
};

class DeliveryJob {
 public:
  using Done = std::function<void(proto::DeliveryReply)>;
  DeliveryJob(JobDeps deps, proto::DeliveryRequest request, Done done);
  void start();

 private:
  void on_message(Result<QueuedMessage> message);
  void fetch_tls_policy();
  void resolve();
  void on_resolved(std::vector<Target> targets);
  void fetch_credentials();
  void try_next();
  void open_target(Target target, bool plaintext_retry);
  void run_on(std::unique_ptr<SmtpSession> session);
  void finish_all(proto::RecipientResult::Outcome outcome, const std::string& dsn, const std::string& diagnostic);
  void finish(std::vector<proto::RecipientResult> results);
  SessionPolicy policy(const Target& target) const;

  JobDeps deps_;
  proto::DeliveryRequest request_;
  Done done_;
  Nexthop nexthop_;
  TlsLevel tls_level_ = TlsLevel::kMay;       // for this destination, before DANE
  std::map<std::string, DaneDecision> dane_;  // by MX host name, at "dane"
  std::set<std::string> dnssec_hosts_;        // MX hosts reached through validated MX and address answers
  Transaction transaction_;
  std::vector<Target> targets_;
  size_t next_target_ = 0;
  bool plaintext_retry_ = false;  // the last target's "may" handshake failed: retry it without TLS
  std::optional<std::pair<std::string, std::string>> credentials_;
  Failure last_failure_;
  std::unique_ptr<SmtpSession> session_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for work-pool callbacks
};

}  // namespace tern::smtp

// LookupService: request dispatch (see service.h).
#include "lookup/service.h"

#include <sodium.h>

#include <string>
#include <vector>

#include "common/config/parameters.h"
#include "common/log/log.h"
#include "common/process/peer_policy.h"

namespace tern::lookup {
namespace {

const char* class_name(proto::Resolution::Class klass) {
  switch (klass) {
    case proto::Resolution::LOCAL: return "local";
    case proto::Resolution::VIRTUAL: return "virtual";
    case proto::Resolution::RELAY: return "relay";
    case proto::Resolution::UNKNOWN: return "unknown";
    default: return "error";
  }
}

// Table-valued parameters: Postfix's *_maps, and alias_database.
bool is_table_parameter(std::string_view name) {
  const config::Parameter* p = config::find_parameter(name);
  return p != nullptr && p->type == config::Type::kList &&
         (name.ends_with("_maps") || name == "alias_database");
}

// smtpd_client_restrictions, ..., smtpd_data_restrictions: tables named by check_*_access.
bool is_restriction_parameter(std::string_view name) {
  const config::Parameter* p = config::find_parameter(name);
  return p != nullptr && p->type == config::Type::kList && name.starts_with("smtpd_") &&
         name.ends_with("_restrictions");
}

// Whether `table` follows a check_*_access restriction in the list: the only tables a
// restriction parameter lets a peer read (never an arbitrary path).
bool names_access_table(const std::vector<std::string>& list, const std::string& table) {
  for (size_t i = 1; i < list.size(); ++i) {
    const std::string& before = list[i - 1];
    if (list[i] == table && before.starts_with("check_") && before.ends_with("_access")) return true;
  }
  return false;
}

// The Dovecot auth socket when smtpd_sasl_type = dovecot, else "" (sasl_password_file).
std::string dovecot_socket(const config::Config& config) {
  if (config.get("smtpd_sasl_type") != "dovecot") return "";
  std::string path = config.get("smtpd_sasl_path");
  return path.starts_with('/') ? path : config.get("spool_directory") + "/" + path;
}

}  // namespace

Result<std::unique_ptr<process::Service>> LookupService::create(process::ServiceContext& context) {
  if (sodium_init() < 0) return fail("lookup: libsodium failed to initialise");
  std::unique_ptr<LookupService> service(new LookupService(context));
  int fd = context.fds.first("ipc");
  if (fd < 0) return fail("lookup: no IPC socket was handed over (run it from master)");
  if (auto listening = service->server_.listen(fd, process::trusted_peer_policy(context.config)); !listening) {
    return std::unexpected(listening.error());
  }
  return std::unique_ptr<process::Service>(std::move(service));
}

LookupService::LookupService(process::ServiceContext& context)
    : context_(context),
      config_(context.config),
      tables_([](const std::string& why) { TERN_LOG_WARNING("%s", why.c_str()); }),
      router_settings_(tables::RouterSettings::from_config(config_)),
      credentials_(context.loop, config_.get("sasl_password_file")),
      dns_(context.loop, DnsSettings::from_config(config_)),
      server_(context.loop, "lookup", [this](const ipc::Peer& peer, proto::LookupRequest request) {
        on_request(peer, std::move(request));
      }) {
  credentials_.use_dovecot(dovecot_socket(config_));
}

void LookupService::reload(const config::Config& config) {
  config_ = config;
  router_settings_ = tables::RouterSettings::from_config(config_);
  credentials_.set_path(config_.get("sasl_password_file"));
  credentials_.use_dovecot(dovecot_socket(config_));
  dns_.reconfigure(DnsSettings::from_config(config_));
}

void LookupService::on_request(const ipc::Peer& peer, proto::LookupRequest request) {
  using R = proto::LookupRequest;
  switch (request.body_case()) {
    case R::kResolve: return on_resolve(peer, request);
    case R::kRecipient: return on_recipient(peer, request);
    case R::kTable: return on_table(peer, request);
    case R::kCredentials: return on_credentials(peer, request);
    case R::kMx: return dns_.mx(request, [this, peer](const proto::LookupReply& r) { server_.reply(peer.conn_id, r); });
    case R::kAddress: return dns_.address(request, [this, peer](const proto::LookupReply& r) { server_.reply(peer.conn_id, r); });
    case R::kTlsa: return dns_.tlsa(request, [this, peer](const proto::LookupReply& r) { server_.reply(peer.conn_id, r); });
    default: return on_unknown(peer, request);
  }
}

void LookupService::on_resolve(const ipc::Peer& peer, const proto::LookupRequest& request) {
  tables::Router router(router_settings_, tables_, users_);
  proto::LookupReply reply;
  reply.set_id(request.id());
  for (auto& r : router.resolve(request.resolve().address())) {
    if (r.klass() == proto::Resolution::ERROR) {
      reply.set_status(proto::DNS_TEMPFAIL);
      reply.set_error(r.error());
      TERN_LOG_WARNING("resolve %s: %s", r.address().c_str(), r.error().c_str());
    }
    *reply.add_resolutions() = std::move(r);
  }
  server_.reply(peer.conn_id, reply);
}

void LookupService::on_recipient(const ipc::Peer& peer, const proto::LookupRequest& request) {
  tables::Router router(router_settings_, tables_, users_);
  proto::LookupReply reply;
  reply.set_id(request.id());
  auto resolutions = router.resolve(request.recipient().address());
  bool known = false;
  for (const auto& r : resolutions) {
    if (r.klass() == proto::Resolution::ERROR) {
      reply.set_status(proto::DNS_TEMPFAIL);
      reply.set_error(r.error());
    } else if (r.klass() != proto::Resolution::UNKNOWN) {
      known = true;
    } else if (reply.error().empty()) {
      reply.set_error(r.error());
    }
  }
  reply.set_found(known);
  if (!resolutions.empty()) reply.set_recipient_class(class_name(resolutions.front().klass()));
  server_.reply(peer.conn_id, reply);
}

void LookupService::on_table(const ipc::Peer& peer, const proto::LookupRequest& request) {
  const auto& query = request.table();
  proto::LookupReply reply;
  reply.set_id(request.id());
  std::vector<std::string> tables;
  if (is_table_parameter(query.parameter()) && query.table().empty()) {
    tables = config_.get_list(query.parameter());
  } else if (is_restriction_parameter(query.parameter()) &&
             names_access_table(config_.get_list(query.parameter()), query.table())) {
    tables = {query.table()};
  } else {
    reply.set_status(proto::DNS_PERMFAIL);
    reply.set_error(query.parameter() + ": not a table parameter" +
                    (query.table().empty() ? "" : " naming " + query.table()));
    server_.reply(peer.conn_id, reply);
    return;
  }
  std::vector<const std::string*> keys = {&query.key()};
  for (const auto& k : query.keys()) keys.push_back(&k);
  for (const std::string* key : keys) {
    auto found = tables_.find(tables, *key, tables::syntax_for(query.parameter()));
    if (!found) {
      reply.set_status(proto::DNS_TEMPFAIL);
      reply.set_error(found.error().message);
      TERN_LOG_WARNING("%s: %s", query.parameter().c_str(), found.error().message.c_str());
      break;
    }
    if (*found) {
      reply.set_found(true);
      for (auto& v : **found) reply.add_values(std::move(v));
      break;
    }
  }
  server_.reply(peer.conn_id, reply);
}

void LookupService::on_credentials(const ipc::Peer& peer, proto::LookupRequest& request) {
  uint64_t id = request.id();
  uint64_t conn_id = peer.conn_id;
  auto& asked = *request.mutable_credentials();
  DovecotAuthRequest check{asked.username(), std::move(*asked.mutable_password()), asked.secured(), asked.client_address()};
  credentials_.check(std::move(check), [this, id, conn_id](AuthOutcome outcome) {
    proto::LookupReply reply;
    reply.set_id(id);
    reply.set_credentials_ok(outcome.verdict == AuthVerdict::kOk);
    if (outcome.verdict == AuthVerdict::kTempFail) {
      TERN_LOG_WARNING("SASL check: %s", outcome.reason.c_str());
      reply.set_status(proto::DNS_TEMPFAIL);
      reply.set_error(outcome.reason);
    }
    server_.reply(conn_id, reply);
  });
}

void LookupService::on_unknown(const ipc::Peer& peer, const proto::LookupRequest& request) {
  proto::LookupReply reply;
  reply.set_id(request.id());
  reply.set_status(proto::DNS_PERMFAIL);
  reply.set_error("lookup: empty or unknown request");
  TERN_LOG_WARNING("empty or unknown request from pid %d", static_cast<int>(peer.pid));
  server_.reply(peer.conn_id, reply);
}

}  // namespace tern::lookup

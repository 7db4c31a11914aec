// Session: AUTH PLAIN and LOGIN (RFC 4954). Offered only under TLS (smtpd_tls_auth_only) and
// with smtpd_sasl_auth_enable; the password is checked by lookup, never here. A failure is
// answered 535 5.7.8 after a delay that grows with each failure, and the client is
// disconnected after kMaxAuthFailures.
#include <cctype>

#include "common/log/log.h"
#include "smtpd/sasl.h"
#include "smtpd/session.h"

namespace tern::smtpd {
namespace {

constexpr int kMaxAuthFailures = 3;
constexpr uint64_t kFailureDelayMs = 250;

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

bool Session::auth_offered() const {
  if (!settings_->sasl_auth_enable || client_.role == Role::kLocal) return false;
  return tls_ || !settings_->tls_auth_only;
}

void Session::do_auth(const smtp::Command& c) {
  if (!auth_offered()) {
    error_reply(503, "5.5.1", "Error: authentication not enabled");
    return;
  }
  if (!sasl_username_.empty()) {
    error_reply(503, "5.5.1", "Error: already authenticated");
    return;
  }
  std::string_view args = c.args;
  size_t space = args.find(' ');
  std::string mechanism = upper(args.substr(0, space));
  std::string_view initial = space == std::string_view::npos ? std::string_view() : args.substr(space + 1);
  if (mechanism != "PLAIN" && mechanism != "LOGIN") {
    error_reply(504, "5.5.4", "Unsupported authentication mechanism");
    return;
  }
  auth_mechanism_ = mechanism;
  auth_user_.clear();
  auth_step_ = 0;
  state_ = SessionState::kAuth;
  if (initial.empty()) {
    reply(334, "", mechanism == "PLAIN" ? "" : "VXNlcm5hbWU6");  // "Username:"
    return;
  }
  auth_response(initial == "=" ? std::string_view() : initial);
}

void Session::auth_response(std::string_view line) {
  state_ = helo_.empty() ? SessionState::kConnected : SessionState::kReady;
  if (line == "*") {
    error_reply(501, "5.7.0", "Authentication aborted");
    return;
  }
  auto decoded = base64_decode(line);
  if (!decoded) {
    error_reply(501, "5.5.2", "Cannot decode response");
    return;
  }
  if (auth_mechanism_ == "PLAIN") {
    auto creds = parse_plain(*decoded);
    if (!creds) {
      error_reply(501, "5.5.2", "Invalid authentication message");
      return;
    }
    auth_check("PLAIN", creds->authzid, creds->authcid, creds->password);
    return;
  }
  if (auth_step_ == 0) {
    auth_user_ = *decoded;
    auth_step_ = 1;
    state_ = SessionState::kAuth;
    reply(334, "", "UGFzc3dvcmQ6");  // "Password:"
    return;
  }
  auth_check("LOGIN", "", std::exchange(auth_user_, std::string()), *decoded);
}

void Session::auth_check(std::string mechanism, std::string authzid, std::string user, std::string password) {
  if (!authzid.empty() && authzid != user) {
    error_reply(535, "5.7.8", "Error: authentication failed: authorization identity not allowed");
    return;
  }
  proto::LookupRequest request;
  request.mutable_credentials()->set_username(user);
  request.mutable_credentials()->set_password(password);
  request.mutable_credentials()->set_secured(tls_);
  request.mutable_credentials()->set_client_address(client_.address);
  set_busy(true);
  host_.lookup(std::move(request), [this, mechanism, user](Result<proto::LookupReply> reply) {
    auth_done(mechanism, user, std::move(reply));
  });
}

void Session::auth_done(std::string mechanism, std::string user, Result<proto::LookupReply> answer) {
  if (state_ == SessionState::kClosed) return;
  if (!answer) {
    TERN_LOG_WARNING("%s: SASL %s authentication failed: lookup unavailable: %s", client_.log_name().c_str(),
                     mechanism.c_str(), answer.error().message.c_str());
    set_busy(false);
    error_reply(454, "4.7.0", "Temporary authentication failure");
    process();
    return;
  }
  if (!answer->credentials_ok() && answer->status() == proto::DNS_TEMPFAIL) {
    TERN_LOG_WARNING("%s: SASL %s authentication failed: %s", client_.log_name().c_str(), mechanism.c_str(),
                     answer->error().c_str());
    set_busy(false);
    error_reply(454, "4.7.0", "Temporary authentication failure");
    process();
    return;
  }
  if (answer->credentials_ok()) {
    sasl_username_ = user;
    sasl_method_ = mechanism;
    set_busy(false);
    reply(235, "2.7.0", "Authentication successful");
    process();
    return;
  }
  ++auth_failures_;
  TERN_LOG_WARNING("%s: SASL %s authentication failed: authentication failure, sasl_username=%s",
                   client_.log_name().c_str(), mechanism.c_str(), user.c_str());
  // Slow the guesser down: the reply, and everything pipelined after it, waits.
  host_.after(kFailureDelayMs * static_cast<uint64_t>(1 << std::min(auth_failures_, 5)), [this] {
    set_busy(false);
    if (auth_failures_ >= kMaxAuthFailures) {
      reply(535, "5.7.8", "Error: authentication failed");
      close_with(421, "4.7.0", settings_->myhostname + " Error: too many authentication failures");
      return;
    }
    error_reply(535, "5.7.8", "Error: authentication failed");
    process();
  });
}

}  // namespace tern::smtpd

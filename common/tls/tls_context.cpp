// Server and client SSL_CTX set-up: TLS 1.2 and 1.3 only, a cipher list without anonymous,
// export, RC4 or 3DES suites, certificate files checked with errors that name the file.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "common/tls/tls_context.h"
#include "common/tls/tls_session.h"

namespace tern::tls {
namespace {

constexpr const char* kCipherList =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA:"
    "AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA:AES256-SHA";

Result<bssl::UniquePtr<SSL_CTX>> new_context() {
  bssl::UniquePtr<SSL_CTX> ctx(SSL_CTX_new(TLS_method()));
  if (!ctx) return fail("SSL_CTX_new: " + drain_ssl_errors());
  if (!SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION) ||
      !SSL_CTX_set_max_proto_version(ctx.get(), TLS1_3_VERSION)) {
    return fail("cannot restrict TLS versions: " + drain_ssl_errors());
  }
  if (!SSL_CTX_set_strict_cipher_list(ctx.get(), kCipherList)) {
    return fail("bad cipher list: " + drain_ssl_errors());
  }
  // No session tickets or resumption state to manage across reloads: keep it simple.
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET);
  return ctx;
}

Result<void> readable(const std::string& what, const std::string& path) {
  if (path.empty()) return fail(what + " is not set");
  if (access(path.c_str(), R_OK) != 0) return fail_errno(what + " " + path, errno);
  return {};
}

// Verification is decided after the handshake (peer_verified()) unless the context demands it.
int accept_any(int /*preverify_ok*/, X509_STORE_CTX* /*store*/) { return 1; }

}  // namespace

std::string drain_ssl_errors() {
  std::string out;
  while (uint32_t code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown TLS error" : out;
}

Result<std::shared_ptr<TlsContext>> make_server_context(const ServerContextOptions& options) {
  ERR_clear_error();
  if (auto ok = readable("certificate file", options.cert_file); !ok) return std::unexpected(ok.error());
  if (auto ok = readable("key file", options.key_file); !ok) return std::unexpected(ok.error());
  auto ctx = new_context();
  if (!ctx) return std::unexpected(ctx.error());
  if (!SSL_CTX_use_certificate_chain_file(ctx->get(), options.cert_file.c_str())) {
    return fail(options.cert_file + ": cannot load certificate chain: " + drain_ssl_errors());
  }
  if (!SSL_CTX_use_PrivateKey_file(ctx->get(), options.key_file.c_str(), SSL_FILETYPE_PEM)) {
    return fail(options.key_file + ": cannot load private key: " + drain_ssl_errors());
  }
  if (!SSL_CTX_check_private_key(ctx->get())) {
    return fail(options.key_file + ": key does not match certificate " + options.cert_file + ": " +
                drain_ssl_errors());
  }
  return std::make_shared<TlsContext>(std::move(*ctx), true, false);
}

Result<std::shared_ptr<TlsContext>> make_client_context(const ClientContextOptions& options) {
  ERR_clear_error();
  auto ctx = new_context();
  if (!ctx) return std::unexpected(ctx.error());
  // The trust store is loaded at every level so that "Trusted" can be logged opportunistically;
  // it is required only when verification is.
  if (!options.ca_file.empty()) {
    if (!SSL_CTX_load_verify_locations(ctx->get(), options.ca_file.c_str(), nullptr)) {
      std::string why = drain_ssl_errors();
      if (options.verify_peer) return fail(options.ca_file + ": cannot load CA certificates: " + why);
    }
  } else if (options.verify_peer) {
    return fail("peer verification needs a CA file");
  }
  SSL_CTX_set_verify(ctx->get(), SSL_VERIFY_PEER, options.verify_peer ? nullptr : accept_any);
  return std::make_shared<TlsContext>(std::move(*ctx), false, options.verify_peer);
}

}  // namespace tern::tls

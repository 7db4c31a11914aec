// TlsContext: the SSL_CTX behind a TlsSession (internal to common/tls). A server context holds
// the certificate chain and key; a client context holds the trust store and whether a failed
// verification must abort the handshake. Immutable once made; shared by sessions.
#pragma once

#include <openssl/ssl.h>

namespace tern::tls {

class TlsContext {
 public:
  TlsContext(bssl::UniquePtr<SSL_CTX> ctx, bool is_server, bool verify_peer)
      : ctx_(std::move(ctx)), is_server_(is_server), verify_peer_(verify_peer) {}

  SSL_CTX* get() const { return ctx_.get(); }
  bool is_server() const { return is_server_; }
  bool verify_peer() const { return verify_peer_; }

 private:
  bssl::UniquePtr<SSL_CTX> ctx_;
  bool is_server_;
  bool verify_peer_;
};

// The BoringSSL error queue as one line ("error:...:CERTIFICATE_VERIFY_FAILED"), emptied.
std::string drain_ssl_errors();

}  // namespace tern::tls

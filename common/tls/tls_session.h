// TLS over BoringSSL for smtpd and smtp, independent of any socket: a TlsSession is driven with
// bytes (memory BIOs), so the same code serves libuv streams, STARTTLS upgrades and tests.
//
//   feed(ciphertext from the socket)  -> plaintext for the protocol + ciphertext to send back
//   write(plaintext from the protocol) -> ciphertext to send
//
// TLS 1.2 and 1.3 only. Linked only into programs that do TLS (never with ldns/OpenSSL 3).
// Errors (handshake failure, bad record, peer alert) come back as Result errors; after one,
// the session is dead and the connection must be closed.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace tern::tls {

class TlsContext;  // an SSL_CTX: server (certificate + key) or client (trust store, policy)

struct ServerContextOptions {
  std::string cert_file;   // PEM chain
  std::string key_file;    // PEM key
};

struct ClientContextOptions {
  bool verify_peer = false;        // verify: check the chain against the system CA store
  std::string ca_file = "/etc/ssl/certs/ca-certificates.crt";
};

// Loads a server context; errors name the file and the reason.
Result<std::shared_ptr<TlsContext>> make_server_context(const ServerContextOptions& options);
Result<std::shared_ptr<TlsContext>> make_client_context(const ClientContextOptions& options);

class TlsSession {
 public:
  virtual ~TlsSession() = default;
  // Bytes received from the peer. Appends decrypted application data to *plaintext and any
  // bytes that must be sent to the peer (handshake, alerts) to *to_peer.
  virtual Result<void> feed(std::string_view ciphertext, std::string* plaintext, std::string* to_peer) = 0;
  // Encrypts application data; appends the records to *to_peer. Valid once handshake_done().
  virtual Result<void> write(std::string_view plaintext, std::string* to_peer) = 0;
  // Starts a client handshake (appends the ClientHello to *to_peer). Servers need not call it.
  virtual Result<void> start(std::string* to_peer) = 0;
  // A close_notify alert to send before closing.
  virtual void shutdown(std::string* to_peer) = 0;

  virtual bool handshake_done() const = 0;
  virtual std::string version() const = 0;   // "TLSv1.3"
  virtual std::string cipher() const = 0;    // "TLS_AES_256_GCM_SHA384"
  virtual int cipher_bits() const = 0;
  // Client side: whether the peer's chain verified and matched the expected host name, and
  // the peer's certificate / public key (DER) for DANE matching.
  virtual bool peer_verified() const = 0;
  virtual std::string peer_certificate_der() const = 0;
  virtual std::string peer_public_key_der() const = 0;
  virtual std::string peer_chain_der(int depth) const = 0;  // "" past the end

  // Added after the first version (defaults keep test doubles compiling):
  // the peer sent close_notify; no more plaintext will come.
  virtual bool peer_closed() const { return false; }
  // Why peer_verified() is false ("certificate has expired", "Hostname mismatch"); "" if verified.
  virtual std::string verify_error() const { return ""; }
  // Server side: the SNI name the client asked for, or "".
  virtual std::string server_name() const { return ""; }
};

std::unique_ptr<TlsSession> new_server_session(std::shared_ptr<TlsContext> context);
// sni/host name: sent as SNI and, with verify_peer, checked against the certificate.
std::unique_ptr<TlsSession> new_client_session(std::shared_ptr<TlsContext> context, std::string host_name);

}  // namespace tern::tls

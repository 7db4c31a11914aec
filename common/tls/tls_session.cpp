// TlsSession over BoringSSL with memory BIOs: the protocol code hands ciphertext in and gets
// plaintext and records to send back, so no socket is ever touched here.
#include "common/tls/tls_session.h"

#include <openssl/bio.h>
#include <openssl/bytestring.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <arpa/inet.h>

#include <string>

#include "common/check.h"
#include "common/tls/tls_context.h"

namespace tern::tls {
namespace {

// Upper bound on plaintext drained per feed() call step; feed() loops until the BIO is empty.
constexpr size_t kReadChunk = 16 * 1024;

std::string der_of(X509* cert) {
  if (cert == nullptr) return "";
  uint8_t* out = nullptr;
  int len = i2d_X509(cert, &out);
  if (len <= 0) return "";
  std::string der(reinterpret_cast<char*>(out), static_cast<size_t>(len));
  OPENSSL_free(out);
  return der;
}

bool is_ip_literal(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

class BsslSession final : public TlsSession {
 public:
  BsslSession(std::shared_ptr<TlsContext> context, std::string host_name)
      : context_(std::move(context)), ssl_(SSL_new(context_->get())) {
    TERN_CHECK(ssl_ != nullptr);
    BIO* rbio = BIO_new(BIO_s_mem());
    BIO* wbio = BIO_new(BIO_s_mem());
    TERN_CHECK(rbio != nullptr && wbio != nullptr);
    BIO_set_mem_eof_return(rbio, -1);  // an empty input BIO means "wait", not EOF
    BIO_set_mem_eof_return(wbio, -1);
    SSL_set_bio(ssl_.get(), rbio, wbio);  // ssl_ owns both now
    wbio_ = wbio;
    if (context_->is_server()) {
      SSL_set_accept_state(ssl_.get());
      return;
    }
    SSL_set_connect_state(ssl_.get());
    if (!host_name.empty() && !is_ip_literal(host_name)) {
      SSL_set_tlsext_host_name(ssl_.get(), host_name.c_str());
      // The name check is part of verification, so "verified" always means "and the name fits".
      SSL_set1_host(ssl_.get(), host_name.c_str());
    } else if (!host_name.empty()) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_.get()), host_name.c_str());
    }
  }

  Result<void> feed(std::string_view ciphertext, std::string* plaintext, std::string* to_peer) override {
    if (dead_) return fail("TLS session already failed");
    ERR_clear_error();
    if (!ciphertext.empty() &&
        BIO_write(SSL_get_rbio(ssl_.get()), ciphertext.data(), static_cast<int>(ciphertext.size())) !=
            static_cast<int>(ciphertext.size())) {
      return die("cannot buffer TLS input", to_peer);
    }
    if (!SSL_is_init_finished(ssl_.get())) {
      int rc = SSL_do_handshake(ssl_.get());
      if (rc != 1) {
        int err = SSL_get_error(ssl_.get(), rc);
        if (err == SSL_ERROR_WANT_READ) {
          drain(to_peer);
          return {};
        }
        return die(error_text("TLS handshake failed", err), to_peer);
      }
    }
    while (!peer_closed_) {
      char buf[kReadChunk];
      int n = SSL_read(ssl_.get(), buf, sizeof(buf));
      if (n > 0) {
        plaintext->append(buf, static_cast<size_t>(n));
        continue;
      }
      int err = SSL_get_error(ssl_.get(), n);
      if (err == SSL_ERROR_WANT_READ) break;
      if (err == SSL_ERROR_ZERO_RETURN) {
        peer_closed_ = true;
        break;
      }
      return die(error_text("TLS read failed", err), to_peer);
    }
    drain(to_peer);
    return {};
  }

  Result<void> write(std::string_view plaintext, std::string* to_peer) override {
    if (dead_) return fail("TLS session already failed");
    if (!SSL_is_init_finished(ssl_.get())) return fail("TLS write before the handshake finished");
    ERR_clear_error();
    while (!plaintext.empty()) {
      int n = SSL_write(ssl_.get(), plaintext.data(), static_cast<int>(std::min<size_t>(plaintext.size(), 1 << 20)));
      if (n <= 0) return die(error_text("TLS write failed", SSL_get_error(ssl_.get(), n)), to_peer);
      plaintext.remove_prefix(static_cast<size_t>(n));
    }
    drain(to_peer);
    return {};
  }

  Result<void> start(std::string* to_peer) override {
    if (context_->is_server()) return {};
    ERR_clear_error();
    int rc = SSL_do_handshake(ssl_.get());
    if (rc != 1) {
      int err = SSL_get_error(ssl_.get(), rc);
      if (err != SSL_ERROR_WANT_READ) return die(error_text("TLS handshake failed", err), to_peer);
    }
    drain(to_peer);
    return {};
  }

  void shutdown(std::string* to_peer) override {
    if (dead_ || !SSL_is_init_finished(ssl_.get())) return;
    ERR_clear_error();
    SSL_shutdown(ssl_.get());
    ERR_clear_error();
    drain(to_peer);
  }

  bool handshake_done() const override { return !dead_ && SSL_is_init_finished(ssl_.get()); }
  std::string version() const override {
    return handshake_done() ? SSL_get_version(ssl_.get()) : "";
  }
  std::string cipher() const override {
    const SSL_CIPHER* c = SSL_get_current_cipher(ssl_.get());
    return c != nullptr ? SSL_CIPHER_get_name(c) : "";
  }
  int cipher_bits() const override {
    const SSL_CIPHER* c = SSL_get_current_cipher(ssl_.get());
    return c != nullptr ? SSL_CIPHER_get_bits(c, nullptr) : 0;
  }
  bool peer_verified() const override {
    bssl::UniquePtr<X509> cert(SSL_get_peer_certificate(ssl_.get()));
    return handshake_done() && cert && SSL_get_verify_result(ssl_.get()) == X509_V_OK;
  }
  std::string verify_error() const override {
    bssl::UniquePtr<X509> cert(SSL_get_peer_certificate(ssl_.get()));
    if (!cert) return "no peer certificate";
    long result = SSL_get_verify_result(ssl_.get());
    return result == X509_V_OK ? "" : X509_verify_cert_error_string(result);
  }
  std::string peer_certificate_der() const override {
    bssl::UniquePtr<X509> cert(SSL_get_peer_certificate(ssl_.get()));
    return der_of(cert.get());
  }
  std::string peer_public_key_der() const override {
    bssl::UniquePtr<X509> cert(SSL_get_peer_certificate(ssl_.get()));
    if (!cert) return "";
    bssl::UniquePtr<EVP_PKEY> key(X509_get_pubkey(cert.get()));
    if (!key) return "";
    uint8_t* out = nullptr;
    int len = i2d_PUBKEY(key.get(), &out);  // SubjectPublicKeyInfo, as TLSA selector 1 hashes
    if (len <= 0) return "";
    std::string der(reinterpret_cast<char*>(out), static_cast<size_t>(len));
    OPENSSL_free(out);
    return der;
  }
  std::string peer_chain_der(int depth) const override {
    // Client side the chain includes the leaf at depth 0; server side it does not, so
    // prepend the leaf there to keep depth 0 = the peer's own certificate on both sides.
    if (depth < 0) return "";
    if (context_->is_server()) {
      if (depth == 0) return peer_certificate_der();
      depth -= 1;
    }
    STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl_.get());
    if (chain == nullptr || static_cast<size_t>(depth) >= sk_X509_num(chain)) return "";
    return der_of(sk_X509_value(chain, static_cast<size_t>(depth)));
  }
  bool peer_closed() const override { return peer_closed_; }
  std::string server_name() const override {
    const char* name = SSL_get_servername(ssl_.get(), TLSEXT_NAMETYPE_host_name);
    return name != nullptr ? name : "";
  }

 private:
  void drain(std::string* to_peer) {
    const uint8_t* data = nullptr;
    size_t len = 0;
    if (BIO_mem_contents(wbio_, &data, &len) && len > 0) {
      to_peer->append(reinterpret_cast<const char*>(data), len);
      BIO_reset(wbio_);
    }
  }

  std::string error_text(const std::string& what, int ssl_error) {
    std::string text = what + ": ";
    if (ssl_error == SSL_ERROR_SSL) {
      long verify = SSL_get_verify_result(ssl_.get());
      if (!context_->is_server() && verify != X509_V_OK && verify != X509_V_ERR_INVALID_CALL) text += std::string("certificate verification failed: ") +
                                       X509_verify_cert_error_string(verify) + ": ";
      text += drain_ssl_errors();
    } else {
      text += "SSL error " + std::to_string(ssl_error);
      ERR_clear_error();
    }
    return text;
  }

  // Marks the session dead; any alert BoringSSL queued still goes to the peer.
  std::unexpected<Error> die(std::string message, std::string* to_peer) {
    dead_ = true;
    drain(to_peer);
    return fail(std::move(message));
  }

  std::shared_ptr<TlsContext> context_;
  bssl::UniquePtr<SSL> ssl_;
  BIO* wbio_ = nullptr;  // owned by ssl_
  bool dead_ = false;
  bool peer_closed_ = false;
};

}  // namespace

std::unique_ptr<TlsSession> new_server_session(std::shared_ptr<TlsContext> context) {
  TERN_CHECK(context != nullptr && context->is_server());
  return std::make_unique<BsslSession>(std::move(context), "");
}

std::unique_ptr<TlsSession> new_client_session(std::shared_ptr<TlsContext> context, std::string host_name) {
  TERN_CHECK(context != nullptr && !context->is_server());
  return std::make_unique<BsslSession>(std::move(context), std::move(host_name));
}

}  // namespace tern::tls

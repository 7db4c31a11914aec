// TlsSession: in-memory handshakes between a server and a client session.
#include <doctest/doctest.h>
#include <openssl/ssl.h>

#include <string>
#include <vector>

#include "common/tls/tls_session.h"
#include "tests/unit/tls/tls_test_util.h"

namespace tern::tls {
namespace {

using testing::Pump;
using testing::TestCert;

std::shared_ptr<TlsContext> server_ctx(const TestCert& cert) {
  auto ctx = make_server_context({.cert_file = cert.cert(), .key_file = cert.key()});
  REQUIRE_MESSAGE(ctx.has_value(), (ctx ? "" : ctx.error().message));
  return *ctx;
}

TEST_SUITE("tls.session") {

TEST_CASE("handshake in odd-sized chunks, then data both ways") {
  TestCert cert;
  auto sctx = server_ctx(cert);
  auto cctx = make_client_context({.verify_peer = false});
  REQUIRE(cctx.has_value());
  for (size_t chunk : {size_t{1}, size_t{7}, size_t{133}, size_t{1} << 20}) {
    INFO("chunk size " << chunk);
    auto server = new_server_session(sctx);
    auto client = new_client_session(*cctx, "mx.example.test");
    std::string hello;
    REQUIRE(client->start(&hello).has_value());
    CHECK(!hello.empty());
    Pump pump{client.get(), server.get()};
    REQUIRE_MESSAGE(pump.run(hello, "", chunk), pump.client_error << pump.server_error);
    REQUIRE(client->handshake_done());
    REQUIRE(server->handshake_done());
    CHECK(client->version() == "TLSv1.3");
    CHECK(server->version() == "TLSv1.3");
    CHECK(client->cipher() == server->cipher());
    CHECK(client->cipher_bits() >= 128);
    CHECK(server->server_name() == "mx.example.test");
    CHECK(!client->peer_verified());  // self-signed, not in the system store
    CHECK(!client->verify_error().empty());
    CHECK(!client->peer_certificate_der().empty());
    CHECK(!client->peer_public_key_der().empty());
    CHECK(client->peer_chain_der(0) == client->peer_certificate_der());
    CHECK(client->peer_chain_der(5).empty());

    std::string big(100000, 'x');
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
    std::string c2s, s2c;
    REQUIRE(client->write(big, &c2s).has_value());
    REQUIRE(server->write("250 ok\r\n", &s2c).has_value());
    REQUIRE(pump.run(c2s, s2c, chunk));
    CHECK(pump.server_got == big);
    CHECK(pump.client_got == "250 ok\r\n");

    std::string bye;
    client->shutdown(&bye);
    CHECK(!bye.empty());
    std::string ignored;
    REQUIRE(server->feed(bye, &ignored, &ignored).has_value());
    CHECK(server->peer_closed());
  }
}

TEST_CASE("verification: trusted CA and the right name pass, a wrong name fails") {
  TestCert cert("mx.example.test");
  auto sctx = server_ctx(cert);
  struct Row { const char* name; std::string host; bool ok; };
  std::vector<Row> rows = {
      {"right name", "mx.example.test", true},
      {"wrong name", "other.example.test", false},
      {"IP literal not in the certificate", "192.0.2.1", false},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    auto cctx = make_client_context({.verify_peer = true, .ca_file = cert.cert()});
    REQUIRE(cctx.has_value());
    auto client = new_client_session(*cctx, row.host);
    auto server = new_server_session(sctx);
    std::string hello;
    REQUIRE(client->start(&hello).has_value());
    Pump pump{client.get(), server.get()};
    bool ok = pump.run(hello);
    CHECK(ok == row.ok);
    CHECK(client->handshake_done() == row.ok);
    CHECK(client->peer_verified() == row.ok);
    if (!row.ok) CHECK(pump.client_error.find("verif") != std::string::npos);
  }
  // Not demanded: the handshake completes and the failure is only reported.
  auto cctx = make_client_context({.verify_peer = false, .ca_file = cert.cert()});
  REQUIRE(cctx.has_value());
  for (auto [host, verified] : {std::pair{"mx.example.test", true}, std::pair{"other.example.test", false}}) {
    INFO(host);
    auto client = new_client_session(*cctx, host);
    auto server = new_server_session(sctx);
    std::string hello;
    REQUIRE(client->start(&hello).has_value());
    Pump pump{client.get(), server.get()};
    REQUIRE(pump.run(hello));
    CHECK(client->handshake_done());
    CHECK(client->peer_verified() == verified);
  }
}

TEST_CASE("garbage from a peer is a clean error, never a crash") {
  TestCert cert;
  auto sctx = server_ctx(cert);
  struct Row { const char* name; std::string bytes; };
  std::vector<Row> rows = {
      {"plain SMTP", "EHLO example.com\r\n"},
      {"HTTP", "GET / HTTP/1.0\r\n\r\n"},
      {"handshake record with bogus body", std::string("\x16\x03\x01\x00\x05\xff\xff\xff\xff\xff", 10)},
      {"huge record length", std::string("\x17\x03\x03\xff\xff", 5) + std::string(100, 'A')},
      {"zeros", std::string(64, '\0')},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    auto server = new_server_session(sctx);
    std::string plain, out;
    auto r = server->feed(row.bytes, &plain, &out);
    CHECK(!r.has_value());
    CHECK(plain.empty());
    CHECK(!server->handshake_done());
    // Dead after the error: further input is refused, still without crashing.
    CHECK(!server->feed("more", &plain, &out).has_value());
  }
  // Garbage after a completed handshake.
  auto cctx = make_client_context({});
  REQUIRE(cctx.has_value());
  auto client = new_client_session(*cctx, "mx.example.test");
  auto server = new_server_session(sctx);
  std::string hello;
  REQUIRE(client->start(&hello).has_value());
  Pump pump{client.get(), server.get()};
  REQUIRE(pump.run(hello));
  std::string plain, out;
  CHECK(!server->feed(std::string("\x17\x03\x03\x00\x20", 5) + std::string(32, 'Z'), &plain, &out).has_value());
  CHECK(plain.empty());
}

TEST_CASE("a TLS 1.1 client is refused") {
  TestCert cert;
  auto server = new_server_session(server_ctx(cert));
  // A real BoringSSL client limited to TLS 1.1, driven over memory BIOs.
  bssl::UniquePtr<SSL_CTX> ctx(SSL_CTX_new(TLS_method()));
  REQUIRE(SSL_CTX_set_min_proto_version(ctx.get(), TLS1_VERSION));
  REQUIRE(SSL_CTX_set_max_proto_version(ctx.get(), TLS1_1_VERSION));
  bssl::UniquePtr<SSL> ssl(SSL_new(ctx.get()));
  BIO* rbio = BIO_new(BIO_s_mem());
  BIO* wbio = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl.get(), rbio, wbio);
  SSL_set_connect_state(ssl.get());
  CHECK(SSL_do_handshake(ssl.get()) != 1);
  const uint8_t* data = nullptr;
  size_t len = 0;
  REQUIRE(BIO_mem_contents(wbio, &data, &len));
  REQUIRE(len > 0);
  std::string plain, alert;
  auto r = server->feed(std::string(reinterpret_cast<const char*>(data), len), &plain, &alert);
  REQUIRE(!r.has_value());
  INFO(r.error().message);
  CHECK(r.error().message.find("UNSUPPORTED_PROTOCOL") != std::string::npos);
  CHECK(!alert.empty());  // a protocol_version alert goes back to the client
  CHECK(!server->handshake_done());
}

TEST_CASE("context errors name the file") {
  TestCert cert;
  std::FILE* f = std::fopen(cert.path("junk.pem").c_str(), "w");
  REQUIRE(f != nullptr);
  std::fputs("not a pem\n", f);
  std::fclose(f);
  struct Row { const char* name; std::string cert, key, want; };
  std::vector<Row> rows = {
      {"missing cert", cert.path("nope.pem"), cert.key(), cert.path("nope.pem")},
      {"missing key", cert.cert(), cert.path("nokey.pem"), cert.path("nokey.pem")},
      {"junk cert", cert.path("junk.pem"), cert.key(), cert.path("junk.pem")},
      {"junk key", cert.cert(), cert.path("junk.pem"), cert.path("junk.pem")},
      {"key is the certificate", cert.cert(), cert.cert(), cert.cert()},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    auto ctx = make_server_context({.cert_file = row.cert, .key_file = row.key});
    REQUIRE(!ctx.has_value());
    CHECK(ctx.error().message.find(row.want) != std::string::npos);
  }
  auto client = make_client_context({.verify_peer = true, .ca_file = cert.path("nope.pem")});
  REQUIRE(!client.has_value());
  CHECK(client.error().message.find("nope.pem") != std::string::npos);
}

}  // TEST_SUITE
}  // namespace
}  // namespace tern::tls

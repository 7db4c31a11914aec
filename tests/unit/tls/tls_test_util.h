// Helpers for the TLS unit tests: a throw-away certificate made with the openssl CLI in a
// temporary directory, and a pump that moves bytes between two in-memory sessions.
#pragma once

#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "common/tls/tls_session.h"

namespace tern::tls::testing {

// A temporary directory with key.pem + cert.pem for CN/SAN `host`, removed on destruction.
class TestCert {
 public:
  explicit TestCert(const std::string& host = "mx.example.test") {
    char templ[] = "/tmp/tern-tls-test-XXXXXX";
    const char* dir = mkdtemp(templ);
    REQUIRE(dir != nullptr);
    dir_ = dir;
    std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2"
                      " -keyout " + key() + " -out " + cert() + " -subj /CN=" + host +
                      " -addext subjectAltName=DNS:" + host + " >/dev/null 2>&1";
    REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, "openssl CLI failed: " << cmd);
  }
  ~TestCert() { std::filesystem::remove_all(dir_); }
  std::string key() const { return dir_ + "/key.pem"; }
  std::string cert() const { return dir_ + "/cert.pem"; }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

 private:
  std::string dir_;
};

// Moves bytes back and forth until neither side has anything to send; collects plaintext.
struct Pump {
  TlsSession* client;
  TlsSession* server;
  std::string client_got, server_got;
  std::string client_error, server_error;

  // to_server / to_client: pending ciphertext. chunk: max bytes handed over per feed().
  bool run(std::string to_server, std::string to_client = "", size_t chunk = 1 << 20) {
    for (int rounds = 0; rounds < 10000000 && (!to_server.empty() || !to_client.empty()); ++rounds) {
      if (!to_server.empty()) {
        size_t n = std::min(chunk, to_server.size());
        std::string piece = to_server.substr(0, n);
        to_server.erase(0, n);
        if (auto r = server->feed(piece, &server_got, &to_client); !r) {
          server_error = r.error().message;
          return false;
        }
      }
      if (!to_client.empty()) {
        size_t n = std::min(chunk, to_client.size());
        std::string piece = to_client.substr(0, n);
        to_client.erase(0, n);
        if (auto r = client->feed(piece, &client_got, &to_server); !r) {
          client_error = r.error().message;
          return false;
        }
      }
    }
    return true;
  }
};

}  // namespace tern::tls::testing

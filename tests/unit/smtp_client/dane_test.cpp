// smtp's DANE matcher against certificates made here at test time (a CA, a leaf it signs for
// mx.example, an unrelated self-signed leaf, an expired leaf), and the TLS level decisions.
#include <doctest/doctest.h>

#include <openssl/ec_key.h>
#include <openssl/evp.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <optional>
#include <string>
#include <vector>

#include "smtp/dane.h"
#include "smtp/tls_policy.h"

namespace tern::smtp {
namespace {

bssl::UniquePtr<EVP_PKEY> new_key() {
  bssl::UniquePtr<EC_KEY> ec(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
  REQUIRE(EC_KEY_generate_key(ec.get()));
  bssl::UniquePtr<EVP_PKEY> key(EVP_PKEY_new());
  REQUIRE(EVP_PKEY_assign_EC_KEY(key.get(), ec.release()));
  return key;
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  bssl::UniquePtr<X509_EXTENSION> ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value));
  REQUIRE(ext);
  REQUIRE(X509_add_ext(cert, ext.get(), -1));
}

struct Made {
  bssl::UniquePtr<EVP_PKEY> key;
  bssl::UniquePtr<X509> cert;
  std::string der;
};

// issuer == nullptr: self-signed. days_from/days_to: validity relative to now.
Made make_cert(const std::string& cn, const char* san, bool ca, Made* issuer, long days_from = -1, long days_to = 30) {
  Made m;
  m.key = new_key();
  m.cert.reset(X509_new());
  X509* c = m.cert.get();
  REQUIRE(X509_set_version(c, X509_VERSION_3));
  static long serial = 1;
  ASN1_INTEGER_set(X509_get_serialNumber(c), ++serial);
  X509_gmtime_adj(X509_getm_notBefore(c), days_from * 86400);
  X509_gmtime_adj(X509_getm_notAfter(c), days_to * 86400);
  X509_NAME* name = X509_get_subject_name(c);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const uint8_t*>(cn.c_str()), -1, -1, 0);
  X509* issuer_cert = issuer ? issuer->cert.get() : c;
  REQUIRE(X509_set_issuer_name(c, X509_get_subject_name(issuer_cert)));
  REQUIRE(X509_set_pubkey(c, m.key.get()));
  if (ca) {
    add_ext(c, issuer_cert, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(c, issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  }
  if (san) add_ext(c, issuer_cert, NID_subject_alt_name, san);
  REQUIRE(X509_sign(c, issuer ? issuer->key.get() : m.key.get(), EVP_sha256()));
  uint8_t* out = nullptr;
  int len = i2d_X509(c, &out);
  REQUIRE(len > 0);
  m.der.assign(reinterpret_cast<char*>(out), static_cast<size_t>(len));
  OPENSSL_free(out);
  return m;
}

std::string spki(const Made& m) {
  uint8_t* out = nullptr;
  int len = i2d_PUBKEY(m.key.get(), &out);
  std::string der(reinterpret_cast<char*>(out), static_cast<size_t>(len));
  OPENSSL_free(out);
  return der;
}

std::string sha256(const std::string& in) {
  uint8_t md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const uint8_t*>(in.data()), in.size(), md);
  return std::string(reinterpret_cast<char*>(md), sizeof(md));
}

std::string sha512(const std::string& in) {
  uint8_t md[SHA512_DIGEST_LENGTH];
  SHA512(reinterpret_cast<const uint8_t*>(in.data()), in.size(), md);
  return std::string(reinterpret_cast<char*>(md), sizeof(md));
}

TEST_SUITE("smtp_client.dane") {
TEST_CASE("TLSA records are matched against the server's chain") {
  Made ca = make_cert("Test CA", nullptr, true, nullptr);
  Made leaf = make_cert("mx.example", "DNS:mx.example", false, &ca);
  Made other_ca = make_cert("Other CA", nullptr, true, nullptr);
  Made stranger = make_cert("mx.example", "DNS:mx.example", false, nullptr);
  Made wrong_name = make_cert("evil.example", "DNS:evil.example", false, &ca);
  Made expired = make_cert("mx.example", "DNS:mx.example", false, &ca, -10, -1);
  const std::vector<std::string> names = {"mx.example.", "example."};
  std::vector<std::string> good_chain = {leaf.der, ca.der};

  struct Row {
    const char* name;
    Tlsa record;
    std::vector<std::string> chain;
    bool want;
    const char* detail;
  };
  std::vector<Row> rows = {
      {"3 1 1 leaf key", {3, 1, 1, sha256(spki(leaf))}, good_chain, true, "matched DANE-EE 3 1 1"},
      {"3 0 1 leaf certificate", {3, 0, 1, sha256(leaf.der)}, good_chain, true, "matched DANE-EE 3 0 1"},
      {"3 1 2 leaf key SHA-512", {3, 1, 2, sha512(spki(leaf))}, good_chain, true, "DANE-EE 3 1 2"},
      {"3 0 0 full leaf", {3, 0, 0, leaf.der}, good_chain, true, "DANE-EE 3 0 0"},
      {"3 1 1 ignores name and expiry", {3, 1, 1, sha256(spki(expired))}, {expired.der}, true, "DANE-EE"},
      {"3 1 1 other key", {3, 1, 1, sha256(spki(stranger))}, good_chain, false, "no TLSA record matched"},
      {"3 1 1 never matches an issuer", {3, 1, 1, sha256(spki(ca))}, good_chain, false, "no TLSA record matched"},
      {"2 0 1 CA in the chain", {2, 0, 1, sha256(ca.der)}, good_chain, true, "matched DANE-TA 2 0 1 at depth 1"},
      {"2 1 1 CA key", {2, 1, 1, sha256(spki(ca))}, good_chain, true, "DANE-TA 2 1 1"},
      {"2 0 1 CA not sent", {2, 0, 1, sha256(ca.der)}, {leaf.der}, false, "no TLSA record matched"},
      {"2 0 1 other CA", {2, 0, 1, sha256(other_ca.der)}, good_chain, false, "no TLSA record matched"},
      {"2 0 1 leaf not signed by the anchor", {2, 0, 1, sha256(ca.der)}, {stranger.der, ca.der}, false,
       "trust anchor at depth 1"},
      {"2 0 1 wrong name", {2, 0, 1, sha256(ca.der)}, {wrong_name.der, ca.der}, false, "trust anchor at depth 1"},
      {"2 0 1 expired leaf", {2, 0, 1, sha256(ca.der)}, {expired.der, ca.der}, false, "expired"},
      {"garbage chain", {3, 1, 1, sha256(spki(leaf))}, {"not a certificate"}, false, "no usable certificate"},
      {"empty chain", {3, 1, 1, sha256(spki(leaf))}, {}, false, "no usable certificate"},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    auto verdict = dane_match(usable_tlsa({row.record}), row.chain, names);
    CHECK(verdict.matched == row.want);
    CHECK(verdict.detail.find(row.detail) != std::string::npos);
  }
}

TEST_CASE("only DANE-TA and DANE-EE records with known parameters are usable") {
  std::string h256(32, 'x'), h512(64, 'x');
  struct Row { const char* name; Tlsa record; bool usable; };
  std::vector<Row> rows = {
      {"3 1 1", {3, 1, 1, h256}, true},
      {"2 0 2", {2, 0, 2, h512}, true},
      {"3 1 0", {3, 1, 0, "key bytes"}, true},
      {"PKIX-TA 0 x x", {0, 0, 1, h256}, false},
      {"PKIX-EE 1 x x", {1, 1, 1, h256}, false},
      {"unknown usage", {4, 1, 1, h256}, false},
      {"unknown selector", {3, 2, 1, h256}, false},
      {"unknown matching type", {3, 1, 3, h256}, false},
      {"SHA-256 of the wrong length", {3, 1, 1, h512}, false},
      {"empty full data", {3, 1, 0, ""}, false},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    CHECK(usable_tlsa({row.record}).size() == (row.usable ? 1u : 0u));
  }
}

TEST_CASE("any matching record among several is enough") {
  Made ca = make_cert("Test CA", nullptr, true, nullptr);
  Made leaf = make_cert("mx.mail.example", "DNS:*.mail.example", false, &ca);  // a wildcard name
  std::vector<Tlsa> records = {{3, 1, 1, std::string(32, 'z')}, {2, 0, 1, sha256(ca.der)}};
  auto verdict = dane_match(usable_tlsa(records), {leaf.der, ca.der}, {"mx.mail.example"});
  CHECK(verdict.matched);
  CHECK(verdict.detail == "matched DANE-TA 2 0 1 at depth 1");
}
}

TEST_SUITE("smtp_client.tls_policy") {
TEST_CASE("TLS levels from smtp_tls_security_level and policy_maps values") {
  struct Row { const char* value; std::optional<TlsLevel> want; };
  std::vector<Row> rows = {
      {"none", TlsLevel::kNone},       {"may", TlsLevel::kMay},          {"encrypt", TlsLevel::kEncrypt},
      {"dane", TlsLevel::kDane},       {"dane-only", TlsLevel::kDane},   {"verify", TlsLevel::kVerify},
      {"secure", TlsLevel::kVerify},   {"  verify match=nexthop", TlsLevel::kVerify},
      {"", std::nullopt},              {"maybe", std::nullopt},          {"ENCRYPT", std::nullopt},
  };
  for (const auto& row : rows) {
    INFO("value \"" << row.value << "\"");
    CHECK(parse_tls_level(row.value) == row.want);
  }
}

TEST_CASE("what a TLSA answer makes of the dane level") {
  auto answer = [](proto::DnsStatus status, bool ad, std::vector<Tlsa> records) {
    proto::LookupReply r;
    r.set_status(status);
    r.set_authenticated_data(ad);
    for (const auto& t : records) {
      auto* x = r.add_tlsa();
      x->set_usage(t.usage);
      x->set_selector(t.selector);
      x->set_matching(t.matching);
      x->set_data(t.data);
    }
    return Result<proto::LookupReply>(r);
  };
  Tlsa good{3, 1, 1, std::string(32, 'a')};
  Tlsa pkix{1, 1, 1, std::string(32, 'a')};
  struct Row { const char* name; Result<proto::LookupReply> reply; TlsLevel level; size_t records; bool error; };
  std::vector<Row> rows = {
      {"secure usable records", answer(proto::DNS_OK, true, {good, pkix}), TlsLevel::kDane, 1, false},
      {"secure but none usable", answer(proto::DNS_OK, true, {pkix}), TlsLevel::kEncrypt, 0, false},
      {"records without the AD bit", answer(proto::DNS_OK, false, {good}), TlsLevel::kMay, 0, false},
      {"no records", answer(proto::DNS_NOTFOUND, true, {}), TlsLevel::kMay, 0, false},
      {"SERVFAIL", answer(proto::DNS_TEMPFAIL, false, {}), TlsLevel::kMay, 0, true},
      {"lookup unreachable", Result<proto::LookupReply>(fail("lookup: connection refused")), TlsLevel::kMay, 0, true},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    DaneDecision d = decide_dane(row.reply, "mx.example", 25);
    CHECK(d.level == row.level);
    CHECK(d.records.size() == row.records);
    CHECK(d.error.empty() == !row.error);
    if (row.error) CHECK(d.error.find("_25._tcp.mx.example") != std::string::npos);
  }
}
}

}  // namespace
}  // namespace tern::smtp

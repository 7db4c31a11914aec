// DANE matching over BoringSSL (see dane.h).
#include "smtp/dane.h"

#include <openssl/mem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace tern::smtp {
namespace {

constexpr uint32_t kDaneTa = 2, kDaneEe = 3;

bssl::UniquePtr<X509> parse(const std::string& der) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(der.data());
  bssl::UniquePtr<X509> cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (cert && p != reinterpret_cast<const uint8_t*>(der.data()) + der.size()) return nullptr;  // trailing bytes
  return cert;
}

std::string spki_der(X509* cert) {
  bssl::UniquePtr<EVP_PKEY> key(X509_get_pubkey(cert));
  if (!key) return "";
  uint8_t* out = nullptr;
  int len = i2d_PUBKEY(key.get(), &out);
  if (len <= 0) return "";
  std::string der(reinterpret_cast<char*>(out), static_cast<size_t>(len));
  OPENSSL_free(out);
  return der;
}

// The bytes a record's selector picks, hashed as its matching type says.
std::string association(const Tlsa& record, const std::string& cert_der, X509* cert) {
  std::string selected = record.selector == 0 ? cert_der : spki_der(cert);
  if (selected.empty()) return "";
  const auto* in = reinterpret_cast<const uint8_t*>(selected.data());
  if (record.matching == 1) {
    uint8_t md[SHA256_DIGEST_LENGTH];
    SHA256(in, selected.size(), md);
    return std::string(reinterpret_cast<char*>(md), sizeof(md));
  }
  if (record.matching == 2) {
    uint8_t md[SHA512_DIGEST_LENGTH];
    SHA512(in, selected.size(), md);
    return std::string(reinterpret_cast<char*>(md), sizeof(md));
  }
  return selected;
}

std::string describe(const Tlsa& r) {
  return std::string(r.usage == kDaneEe ? "DANE-EE " : "DANE-TA ") + std::to_string(r.usage) + " " +
         std::to_string(r.selector) + " " + std::to_string(r.matching);
}

std::string without_final_dot(std::string name) {
  if (!name.empty() && name.back() == '.') name.pop_back();
  return name;
}

// The chain from the leaf up to the trust anchor chain[anchor] verifies (signatures, validity
// dates) and the leaf carries one of the names. Returns "" on success, else the reason.
std::string verify_to_anchor(const std::vector<bssl::UniquePtr<X509>>& chain, size_t anchor,
                             const std::vector<std::string>& names) {
  bssl::UniquePtr<X509_STORE> store(X509_STORE_new());
  bssl::UniquePtr<STACK_OF(X509)> untrusted(sk_X509_new_null());
  bssl::UniquePtr<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
  if (!store || !untrusted || !ctx || !X509_STORE_add_cert(store.get(), chain[anchor].get())) return "out of memory";
  for (size_t i = 1; i < anchor; ++i) {
    X509_up_ref(chain[i].get());
    if (!sk_X509_push(untrusted.get(), chain[i].get())) {
      X509_free(chain[i].get());
      return "out of memory";
    }
  }
  if (!X509_STORE_CTX_init(ctx.get(), store.get(), chain[0].get(), untrusted.get())) return "out of memory";
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  bool first = true;
  for (const auto& raw : names) {
    std::string name = without_final_dot(raw);
    if (name.empty()) continue;
    if (first) X509_VERIFY_PARAM_set1_host(param, name.data(), name.size());
    else X509_VERIFY_PARAM_add1_host(param, name.data(), name.size());
    first = false;
  }
  if (first) return "no reference name to check";
  if (X509_verify_cert(ctx.get()) == 1) return "";
  return X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
}

}  // namespace

std::vector<Tlsa> usable_tlsa(const std::vector<Tlsa>& records) {
  std::vector<Tlsa> out;
  for (const auto& r : records) {
    bool usage_ok = r.usage == kDaneTa || r.usage == kDaneEe;
    bool length_ok = (r.matching == 0 && !r.data.empty()) || (r.matching == 1 && r.data.size() == SHA256_DIGEST_LENGTH) ||
                     (r.matching == 2 && r.data.size() == SHA512_DIGEST_LENGTH);
    if (usage_ok && r.selector <= 1 && length_ok) out.push_back(r);
  }
  return out;
}

DaneVerdict dane_match(const std::vector<Tlsa>& usable, const std::vector<std::string>& chain_der,
                       const std::vector<std::string>& reference_names) {
  std::vector<bssl::UniquePtr<X509>> chain;
  for (const auto& der : chain_der) {
    auto cert = parse(der);
    if (!cert) break;  // an unparsable element ends the chain we can use
    chain.push_back(std::move(cert));
  }
  if (chain.empty()) return {false, "the server sent no usable certificate"};
  std::string ta_failure;
  for (const auto& record : usable) {
    if (record.usage == kDaneEe) {
      if (association(record, chain_der[0], chain[0].get()) == record.data) return {true, "matched " + describe(record)};
      continue;
    }
    for (size_t depth = 1; depth < chain.size(); ++depth) {
      if (association(record, chain_der[depth], chain[depth].get()) != record.data) continue;
      std::string why = verify_to_anchor(chain, depth, reference_names);
      if (why.empty()) return {true, "matched " + describe(record) + " at depth " + std::to_string(depth)};
      ta_failure = describe(record) + " trust anchor at depth " + std::to_string(depth) + ": " + why;
    }
  }
  if (!ta_failure.empty()) return {false, ta_failure};
  return {false, "no TLSA record matched the server's certificate chain"};
}

}  // namespace tern::smtp

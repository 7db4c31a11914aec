// CIDR lists (see networks.h).
#include "smtpd/networks.h"

#include <arpa/inet.h>

#include <cstring>

namespace tern::smtpd {
namespace {

bool prefix_matches(const unsigned char* a, const unsigned char* b, int prefix) {
  int full = prefix / 8, rest = prefix % 8;
  if (std::memcmp(a, b, static_cast<size_t>(full)) != 0) return false;
  if (rest == 0) return true;
  unsigned char mask = static_cast<unsigned char>(0xFF << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}

}  // namespace

Result<Networks> Networks::parse(const std::vector<std::string>& entries) {
  Networks out;
  for (const std::string& entry : entries) {
    std::string text = entry;
    std::string prefix_text;
    size_t slash = text.find('/');
    if (slash != std::string::npos) {
      prefix_text = text.substr(slash + 1);
      text.resize(slash);
    }
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
    Block block;
    if (inet_pton(AF_INET, text.c_str(), block.bytes) == 1) {
      block.family = AF_INET;
      block.prefix = 32;
    } else if (inet_pton(AF_INET6, text.c_str(), block.bytes) == 1) {
      block.family = AF_INET6;
      block.prefix = 128;
    } else {
      return fail("mynetworks: bad network '" + entry + "'");
    }
    if (!prefix_text.empty()) {
      int max = block.prefix, value = 0;
      if (prefix_text.size() > 3) return fail("mynetworks: bad prefix in '" + entry + "'");
      for (char c : prefix_text) {
        if (c < '0' || c > '9') return fail("mynetworks: bad prefix in '" + entry + "'");
        value = value * 10 + (c - '0');
      }
      if (value > max) return fail("mynetworks: bad prefix in '" + entry + "'");
      block.prefix = value;
    } else if (slash != std::string::npos) {
      return fail("mynetworks: bad prefix in '" + entry + "'");
    }
    out.blocks_.push_back(block);
  }
  return out;
}

bool Networks::contains(std::string_view address) const {
  std::string text(address);
  unsigned char v4[4], v6[16];
  bool is_v4 = inet_pton(AF_INET, text.c_str(), v4) == 1;
  bool is_v6 = !is_v4 && inet_pton(AF_INET6, text.c_str(), v6) == 1;
  if (is_v6) {
    static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    if (std::memcmp(v6, kMapped, 12) == 0) {
      std::memcpy(v4, v6 + 12, 4);
      is_v4 = true;
    }
  }
  for (const Block& block : blocks_) {
    if (block.family == AF_INET && is_v4 && prefix_matches(block.bytes, v4, block.prefix)) return true;
    if (block.family == AF_INET6 && is_v6 && prefix_matches(block.bytes, v6, block.prefix)) return true;
  }
  return false;
}

}  // namespace tern::smtpd

// sasl_password_file format (see credentials_file.h).
#include "common/tables/credentials_file.h"

namespace tern::tables {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool valid_hash(std::string_view hash) {
  if (!hash.starts_with("$argon2id$") && !hash.starts_with("$argon2i$")) return false;
  for (char c : hash) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return false;
  }
  return hash.size() < 512;
}

}  // namespace

bool valid_username(std::string_view user) {
  if (user.empty() || user.size() > 256) return false;
  for (char c : user) {
    auto u = static_cast<unsigned char>(c);
    if (u <= ' ' || u == 0x7f || c == ':') return false;
  }
  return true;
}

std::map<std::string, std::string, std::less<>> parse_credentials(
    std::string_view text, std::string_view filename, std::vector<std::string>* errors) {
  std::map<std::string, std::string, std::less<>> out;
  int number = 0;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++number;
    if (line.empty() || line.front() == '#') continue;
    std::string where = std::string(filename) + ":" + std::to_string(number) + ": ";
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      errors->push_back(where + "expected username:hash");
      continue;
    }
    std::string_view user = line.substr(0, colon);
    std::string_view hash = line.substr(colon + 1);
    if (!valid_username(user)) {
      errors->push_back(where + "bad user name");
    } else if (!valid_hash(hash)) {
      errors->push_back(where + "user " + std::string(user) + ": not an argon2 hash");
    } else if (!out.emplace(user, hash).second) {
      errors->push_back(where + "duplicate user " + std::string(user) + " ignored");
    }
  }
  return out;
}

Result<std::string> replace_credential(std::string_view text, std::string_view user,
                                       std::string_view hash) {
  if (!valid_username(user)) return fail("bad user name \"" + std::string(user) + "\"");
  if (!valid_hash(hash)) return fail("not an argon2 hash");
  std::string replacement = std::string(user) + ":" + std::string(hash) + "\n";
  std::string out;
  bool replaced = false;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    std::string_view body = trim(line);
    if (body.size() > user.size() && body.substr(0, user.size()) == user &&
        body[user.size()] == ':') {
      if (!replaced) out += replacement;
      replaced = true;
      continue;
    }
    out += line;
    out += '\n';
  }
  if (!replaced) out += replacement;
  return out;
}

}  // namespace tern::tables

// access(5) keys and actions (see access_table.h).
#include "smtpd/access_table.h"

#include <algorithm>
#include <cctype>

namespace tern::smtpd {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "5.7.1" at the start of text, with the given class digit.
bool starts_with_enhanced(std::string_view text, char klass) {
  size_t end = text.find_first_of(" \t");
  std::string_view word = text.substr(0, end);
  if (word.size() < 5 || word[0] != klass || word[1] != '.') return false;
  size_t dot = word.find('.', 2);
  return dot != std::string_view::npos && dot > 2 && dot + 1 < word.size() &&
         all_digits(word.substr(2, dot - 2)) && all_digits(word.substr(dot + 1));
}

void add_unique(std::vector<std::string>& keys, std::string key) {
  if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(std::move(key));
}

}  // namespace

std::vector<std::string> client_access_keys(std::string_view address) {
  std::vector<std::string> keys;
  std::string key = lower(address);
  char delimiter = key.find(':') != std::string::npos ? ':' : '.';
  while (!key.empty()) {
    keys.push_back(key);
    size_t cut = key.rfind(delimiter);
    if (cut == std::string::npos) break;
    key.resize(cut);
  }
  return keys;
}

std::vector<std::string> domain_access_keys(std::string_view domain, bool parent_matches_subdomains) {
  std::vector<std::string> keys;
  std::string name = lower(domain);
  if (!name.empty() && name.back() == '.') name.pop_back();
  if (name.empty()) return keys;
  keys.push_back(name);
  if (name.front() == '[') return keys;  // an address literal has no parents
  for (size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', dot + 1)) {
    add_unique(keys, parent_matches_subdomains ? name.substr(dot + 1) : name.substr(dot));
  }
  return keys;
}

std::vector<std::string> address_access_keys(std::string_view address, std::string_view delimiters,
                                             bool parent_matches_subdomains) {
  std::vector<std::string> keys;
  std::string a = lower(address);
  size_t at = a.rfind('@');
  std::string local = at == std::string::npos ? a : a.substr(0, at);
  std::string domain = at == std::string::npos ? "" : a.substr(at + 1);
  std::string base = local;
  if (!delimiters.empty()) {
    size_t d = local.find_first_of(delimiters);
    if (d != std::string::npos && d > 0) base = local.substr(0, d);
  }
  add_unique(keys, a);
  if (at != std::string::npos) add_unique(keys, base + "@" + domain);
  for (auto& k : domain_access_keys(domain, parent_matches_subdomains)) add_unique(keys, std::move(k));
  add_unique(keys, local + "@");
  add_unique(keys, base + "@");
  return keys;
}

AccessAction parse_access_value(std::string_view value) {
  value = trim(value);
  size_t end = value.find_first_of(" \t");
  std::string word = lower(value.substr(0, end));
  std::string_view rest = end == std::string_view::npos ? std::string_view() : trim(value.substr(end));
  AccessAction action;
  auto with_text = [&](AccessAction::Kind kind, int code) {
    action.kind = kind;
    action.code = code;
    char klass = kind == AccessAction::kReject ? '5' : '4';
    if (starts_with_enhanced(rest, klass)) {
      size_t space = rest.find_first_of(" \t");
      action.enhanced = std::string(rest.substr(0, space));
      rest = space == std::string_view::npos ? std::string_view() : trim(rest.substr(space));
    }
    action.text = std::string(rest);
    return action;
  };
  if (word == "ok" || all_digits(value)) {
    action.kind = AccessAction::kPermit;
    return action;
  }
  if (word == "dunno") return action;
  if (word == "reject") return with_text(AccessAction::kReject, 0);
  if (word == "defer") return with_text(AccessAction::kDefer, 0);
  if (word.size() == 3 && all_digits(word) && (word[0] == '4' || word[0] == '5')) {
    return with_text(word[0] == '5' ? AccessAction::kReject : AccessAction::kDefer, std::stoi(word));
  }
  if (word == "warn") {
    action.kind = AccessAction::kWarn;
    action.text = std::string(rest);
    return action;
  }
  static const char* const kUnsupported[] = {"hold", "discard", "filter", "redirect", "prepend", "bcc",
                                             "info", "defer_if_permit", "defer_if_reject", "replace"};
  for (const char* name : kUnsupported) {
    if (word != name) continue;
    action.kind = AccessAction::kUnsupported;
    action.text = std::string(value);
    return action;
  }
  // Otherwise a list of restriction names, as in Postfix ("permit_mynetworks, reject").
  action.kind = AccessAction::kRestrictions;
  std::string item;
  for (char c : value) {
    if (c == ',' || std::isspace(static_cast<unsigned char>(c))) {
      if (!item.empty()) action.restrictions.push_back(lower(item));
      item.clear();
    } else {
      item += c;
    }
  }
  if (!item.empty()) action.restrictions.push_back(lower(item));
  return action;
}

}  // namespace tern::smtpd

// Config: reading tern.conf into a Config, the built-in and computed defaults, and the typed
// look-ups (see config.h). The load-time checks are in validate.cpp.
#include "common/config/config.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>

#include "common/check.h"
#include "common/config/expand.h"
#include "common/config/hostname.h"
#include "common/config/lines.h"
#include "common/config/parameters.h"
#include "common/config/values.h"
#include "tern_build_config.h"

namespace tern::config {
namespace {

constexpr const char* kDefaultDirectory = "/etc/tern";
constexpr const char* kDefaultDomain = "localdomain";

// The table row of a parameter a getter was asked for; asking for an unknown name or the
// wrong type is a programmer error.
const Parameter& known(std::string_view name, std::initializer_list<Type> types) {
  const Parameter* p = find_parameter(name);
  if (p == nullptr || std::find(types.begin(), types.end(), p->type) == types.end())
    std::fprintf(stderr, "config: no parameter \"%.*s\" of the type asked for\n",
                 static_cast<int>(name.size()), name.data());
  TERN_CHECK(p != nullptr);
  TERN_CHECK(std::find(types.begin(), types.end(), p->type) != types.end());
  return *p;
}

Result<std::string> read_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail_errno(path, errno);
  std::string text;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return fail_errno(path, err);
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

// A computed value as raw text: a '$' in it is literal.
std::string escaped(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '$') out += '$';
    out += c;
  }
  return out;
}

// Postfix's mydomain default: the host name minus its first label, when that leaves a name
// with a dot ("mail.example.com" -> "example.com"); else "localdomain".
std::string domain_of(std::string_view host) {
  size_t dot = host.find('.');
  if (dot == std::string_view::npos || host.find('.', dot + 1) == std::string_view::npos)
    return kDefaultDomain;
  return std::string(host.substr(dot + 1));
}

bool by_line(const Diagnostic& a, const Diagnostic& b) { return a.line < b.line; }

}  // namespace

std::string Diagnostic::to_string() const {
  if (line <= 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ": " + message;
}

std::string config_directory_from(const char* dash_c_argument) {
  if (dash_c_argument != nullptr && *dash_c_argument != '\0') return dash_c_argument;
  const char* env = std::getenv("MAIL_CONFIG");
  if (env != nullptr && *env != '\0') return env;
  return kDefaultDirectory;
}

Result<Config> Config::load(const std::string& directory, std::vector<Diagnostic>* warnings) {
  std::string path = directory + "/tern.conf";
  Result<std::string> text = read_file(path);
  if (!text) return std::unexpected(text.error());
  return build(directory, *text, path, warnings);
}

Result<Config> Config::parse(std::string_view text, std::string_view filename,
                             std::vector<Diagnostic>* warnings) {
  return build("", text, filename, warnings);
}

Config Config::defaults() {
  Result<Config> config = parse("", "(defaults)");
  TERN_CHECK(config.has_value());
  return std::move(*config);
}

Result<Config> Config::build(std::string directory, std::string_view text,
                             std::string_view filename, std::vector<Diagnostic>* warnings) {
  Config config;
  config.directory_ = std::move(directory);
  std::string file(filename);
  std::vector<Diagnostic> errors, warns;
  std::map<std::string, std::string, std::less<>> written;  // canonical -> name as written
  for (const LogicalLine& line : logical_lines(text)) {
    if (line.orphan) {
      errors.push_back({file, line.line,
                        "continuation line before any parameter (a line starting with white "
                        "space continues the previous one)"});
      continue;
    }
    Result<Setting> setting = parse_setting(line.text);
    if (!setting) {
      errors.push_back({file, line.line, setting.error().message});
      continue;
    }
    std::string key(canonical_name(setting->name));
    if (auto earlier = config.lines_.find(key); earlier != config.lines_.end()) {
      std::string message = setting->name + ": overriding earlier entry at line " +
                            std::to_string(earlier->second);
      if (written[key] != setting->name) message += " (" + written[key] + ")";
      warns.push_back({file, line.line, message});
    }
    written[key] = setting->name;
    config.values_[key] = std::move(setting->value);
    config.lines_[key] = line.line;
  }
  config.validate(file, &errors, &warns);
  std::stable_sort(errors.begin(), errors.end(), by_line);
  std::stable_sort(warns.begin(), warns.end(), by_line);
  if (warnings != nullptr) warnings->insert(warnings->end(), warns.begin(), warns.end());
  if (!errors.empty()) {
    std::string message;
    for (const Diagnostic& d : errors) message += (message.empty() ? "" : "\n") + d.to_string();
    return fail(std::move(message));
  }
  return config;
}

std::optional<std::string> Config::raw_value(std::string_view name, Expander& expander) const {
  std::string_view key = canonical_name(name);
  if (auto it = values_.find(key); it != values_.end()) return it->second;
  const Parameter* p = find_parameter(key);
  if (p == nullptr) return std::nullopt;
  if (p->default_value != nullptr) return p->default_value;
  // The computed defaults (a nullptr default_value in parameters.cpp).
  if (key == "myhostname") {
    const std::string& host = system_hostname();
    return host.find('.') != std::string::npos ? escaped(host) : escaped(host) + ".$mydomain";
  }
  if (key == "mydomain") {
    bool set = values_.contains("myhostname");
    return escaped(domain_of(set ? expander.expand_name("myhostname") : system_hostname()));
  }
  if (key == "config_directory")
    return escaped(directory_.empty() ? kDefaultDirectory : directory_);
  TERN_CHECK(key == "daemon_directory");  // the last computed default
  return escaped(TERN_DAEMON_DIRECTORY);
}

bool is_verbatim(std::string_view name) { return canonical_name(name) == "mailbox_command"; }

std::string Config::expand(std::string_view name,
                           std::vector<std::vector<std::string>>* loops) const {
  if (is_verbatim(name)) {  // shell syntax, as in Postfix: no $name substitution at all
    Expander unused([](std::string_view, Expander&) { return std::optional<std::string>(); });
    return raw_value(name, unused).value_or("");
  }
  Expander expander([this](std::string_view n, Expander& x) { return raw_value(n, x); });
  std::string value = expander.expand_name(name);
  if (loops != nullptr) *loops = expander.loops();
  return value;
}

std::string Config::get(std::string_view name) const {
  known(name, {Type::kString, Type::kList, Type::kTime, Type::kSize, Type::kInt, Type::kBool});
  return expand(name);
}

std::vector<std::string> Config::get_list(std::string_view name) const {
  known(name, {Type::kList});
  return split_list(expand(name));
}

std::string Config::get_with(std::string_view name, const Locals& locals) const {
  known(name, {Type::kString, Type::kList});
  Expander expander([this, &locals](std::string_view n, Expander& x) -> std::optional<std::string> {
    if (auto it = locals.find(n); it != locals.end()) {
      // Taken literally: an address extension is the sender's text ("user+$x").
      std::string literal;
      for (char c : it->second) {
        if (c == '$') literal += '$';
        literal += c;
      }
      return literal;
    }
    return raw_value(n, x);
  });
  return expander.expand_name(name);
}

std::vector<std::string> Config::get_list_with(std::string_view name, const Locals& locals) const {
  known(name, {Type::kList});
  return split_list(get_with(name, locals));
}

int64_t Config::get_time(std::string_view name) const {
  const Parameter& p = known(name, {Type::kTime});
  Result<int64_t> seconds = parse_time(expand(name), p.unit);
  TERN_CHECK(seconds.has_value());  // validated at load
  return *seconds;
}

int64_t Config::get_int(std::string_view name) const {
  known(name, {Type::kSize, Type::kInt});
  Result<int64_t> n = parse_count(expand(name));
  TERN_CHECK(n.has_value());  // validated at load
  return *n;
}

bool Config::get_bool(std::string_view name) const {
  known(name, {Type::kBool});
  Result<bool> b = parse_bool(expand(name));
  TERN_CHECK(b.has_value());  // validated at load
  return *b;
}

bool Config::is_explicit(std::string_view name) const {
  return values_.contains(canonical_name(name));
}

std::vector<std::pair<std::string, std::string>> Config::all(bool only_explicit) const {
  std::map<std::string, std::string> out;
  for (const Parameter& p : parameters())
    if (!only_explicit || is_explicit(p.name)) out[p.name] = expand(p.name);
  for (const auto& [name, value] : values_)
    if (!is_known(name)) out[name] = expand(name);
  return {out.begin(), out.end()};
}

bool Config::is_known(std::string_view name) { return find_parameter(name) != nullptr; }

}  // namespace tern::config

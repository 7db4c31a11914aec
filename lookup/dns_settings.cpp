// DnsSettings: dns_nameservers or /etc/resolv.conf (see dns_settings.h).
#include "lookup/dns_settings.h"

#include <arpa/inet.h>
#include <sys/stat.h>

#include <charconv>

#include "common/log/log.h"
#include "common/tables/file_text.h"

namespace tern::lookup {
namespace {

bool is_ip(const std::string& ip) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, ip.c_str(), buffer) == 1 || inet_pton(AF_INET6, ip.c_str(), buffer) == 1;
}

}  // namespace

Result<Nameserver> parse_nameserver(std::string_view item) {
  Nameserver ns;
  std::string_view port;
  if (item.starts_with("[")) {
    size_t close = item.find(']');
    if (close == std::string_view::npos) return fail(std::string(item) + ": missing ']'");
    ns.ip = std::string(item.substr(1, close - 1));
    std::string_view rest = item.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return fail(std::string(item) + ": want [ip]:port");
      port = rest.substr(1);
    }
  } else if (item.find(':') != item.rfind(':')) {
    ns.ip = std::string(item);  // a bare IPv6 address
  } else {
    size_t colon = item.find(':');
    ns.ip = std::string(item.substr(0, colon));
    if (colon != std::string_view::npos) port = item.substr(colon + 1);
  }
  if (!is_ip(ns.ip)) return fail(std::string(item) + ": not an IP address");
  if (!port.empty() || item.ends_with(":")) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return fail(std::string(item) + ": bad port");
    }
    ns.port = static_cast<uint16_t>(value);
  }
  return ns;
}

std::vector<Nameserver> parse_resolv_conf(std::string_view text) {
  std::vector<Nameserver> out;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (!line.starts_with("nameserver")) continue;
    line.remove_prefix(10);
    size_t start = line.find_first_not_of(" \t");
    if (start == 0 || start == std::string_view::npos) continue;
    line = line.substr(start);
    line = line.substr(0, line.find_first_of(" \t\r#;"));
    std::string ip(line.substr(0, line.find('%')));  // drop an IPv6 zone id
    if (is_ip(ip)) out.push_back({ip, 53});
  }
  return out;
}

DnsSettings DnsSettings::from_config(const config::Config& config) {
  DnsSettings settings;
  settings.trusted_resolver = config.get_bool("dns_trusted_resolver");
  for (const auto& item : config.get_list("dns_nameservers")) {
    auto ns = parse_nameserver(item);
    if (ns) {
      settings.nameservers.push_back(*ns);
    } else {
      TERN_LOG_WARNING("dns_nameservers: %s", ns.error().message.c_str());
    }
  }
  if (config.get_list("dns_nameservers").empty()) {
    struct stat st {};
    auto text = tables::read_file_text("/etc/resolv.conf", "resolver configuration", &st);
    if (text) settings.nameservers = parse_resolv_conf(*text);
    if (settings.nameservers.empty()) settings.nameservers.push_back({"127.0.0.1", 53});
  }
  return settings;
}

}  // namespace tern::lookup

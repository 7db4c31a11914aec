// Postfix listeners: inet_interfaces x master.cf inet services -> *_listen values (see
// postfix_listeners.h).
#include "ctl/commands/postfix_listeners.h"

#include <algorithm>
#include <sstream>

#include "common/config/values.h"

namespace tern::ctl {
namespace {

enum class Role { kSmtp, kSubmission, kSmtps };

// One enabled master.cf inet service running smtpd (directly or behind postscreen).
struct Service {
  std::string host;  // "" = every address of inet_interfaces
  std::string port;
  Role role;
};

// "smtp" -> "25"; a number stays; anything else -> "".
std::string port_of(std::string_view name) {
  if (name == "smtp") return "25";
  if (name == "submission") return "587";
  if (name == "smtps" || name == "submissions") return "465";
  if (name.empty()) return "";
  for (char c : name)
    if (c < '0' || c > '9') return "";
  return std::string(name);
}

Role role_of(std::string_view port, bool wrapper_mode) {
  if (wrapper_mode || port == "465") return Role::kSmtps;
  if (port == "587") return Role::kSubmission;
  return Role::kSmtp;
}

// "192.0.2.1" -> "192.0.2.1"; "::1" or "[::1]" -> "[::1]".
std::string bracket(std::string_view address) {
  if (!address.empty() && address.front() == '[') return std::string(address);
  if (address.find(':') != std::string_view::npos) return "[" + std::string(address) + "]";
  return std::string(address);
}

bool is_ip_literal(std::string_view address) {
  if (address.empty()) return false;
  if (address.front() == '[' || address.find(':') != std::string_view::npos) return true;
  for (char c : address)
    if (!((c >= '0' && c <= '9') || c == '.')) return false;
  return true;
}

// The enabled inet smtpd services of master.cf, in file order.
std::vector<Service> smtpd_services(const std::string& master_cf, std::vector<std::string>* notes) {
  std::vector<Service> services;
  std::istringstream in(master_cf);
  std::string line;
  Service* open = nullptr;  // the service whose "-o" continuation lines follow
  while (std::getline(in, line)) {
    std::string_view body = config::trim(line);
    if (body.empty() || body.front() == '#') continue;
    if (line.front() == ' ' || line.front() == '\t') {
      if (open != nullptr && body.find("smtpd_tls_wrappermode=yes") != std::string_view::npos)
        open->role = Role::kSmtps;
      continue;
    }
    open = nullptr;
    std::istringstream fields{std::string(body)};
    std::string name, type, priv, unpriv, chroot, wakeup, maxproc, command;
    fields >> name >> type >> priv >> unpriv >> chroot >> wakeup >> maxproc >> command;
    if (type != "inet" || (command != "smtpd" && command != "postscreen")) continue;
    std::string host, service = name;
    if (size_t colon = name.rfind(':'); colon != std::string::npos) {
      host = name.substr(0, colon);
      service = name.substr(colon + 1);
    }
    std::string port = port_of(service);
    if (port.empty()) {
      notes->push_back("master.cf service \"" + name + "\": unknown port name, not carried over");
      continue;
    }
    if (!host.empty() && !is_ip_literal(host)) {
      notes->push_back("master.cf service \"" + name + "\": host name \"" + host +
                       "\" not resolved, not carried over");
      continue;
    }
    services.push_back({host.empty() ? "" : bracket(host), port, role_of(port, false)});
    open = &services.back();
  }
  if (std::any_of(services.begin(), services.end(), [](const Service& s) { return s.role != Role::kSmtp; }))
    notes->push_back("master.cf \"-o name=value\" overrides are not carried over: Tern's "
                       "submission and smtps listeners have their own policy (see tern.conf(5))");
  return services;
}

// The addresses inet_interfaces names, bracketed, filtered by inet_protocols.
std::vector<std::string> interface_addresses(std::string_view interfaces, std::string_view protocols,
                                             std::vector<std::string>* notes) {
  bool ipv4 = true, ipv6 = true;
  std::vector<std::string> proto = config::split_list(protocols);
  if (!proto.empty() && !(proto.size() == 1 && proto[0] == "all")) {
    ipv4 = ipv6 = false;
    for (const std::string& p : proto) {
      if (p == "ipv4") ipv4 = true;
      if (p == "ipv6") ipv6 = true;
    }
  }
  std::vector<std::string> addresses;
  auto add_pair = [&](const char* v4, const char* v6) {
    if (ipv4) addresses.push_back(v4);
    if (ipv6) addresses.push_back(v6);
  };
  std::vector<std::string> items = config::split_list(interfaces);
  if (items.empty()) items.push_back("all");
  for (const std::string& item : items) {
    if (item == "all") {
      add_pair("0.0.0.0", "[::]");
    } else if (item == "loopback-only" || item == "localhost") {
      add_pair("127.0.0.1", "[::1]");
    } else if (is_ip_literal(item)) {
      bool v6 = item.find(':') != std::string::npos;
      if ((v6 && ipv6) || (!v6 && ipv4)) addresses.push_back(bracket(item));
    } else {
      notes->push_back("inet_interfaces: host name \"" + item +
                       "\" not resolved; add its address to the *_listen lists by hand");
    }
  }
  return addresses;
}

}  // namespace

Listeners postfix_listeners(std::string_view inet_interfaces, std::string_view inet_protocols,
                            const std::optional<std::string>& master_cf) {
  Listeners out;
  std::vector<Service> services;
  if (master_cf) {
    services = smtpd_services(*master_cf, &out.notes);
  } else {
    out.notes.push_back("no master.cf beside main.cf: assumed Postfix's default, smtp on port 25 only");
    services.push_back({"", "25", Role::kSmtp});
  }
  std::vector<std::string> addresses = interface_addresses(inet_interfaces, inet_protocols, &out.notes);
  for (const Service& s : services) {
    std::string* list = s.role == Role::kSmtp ? &out.smtp
                        : s.role == Role::kSubmission ? &out.submission : &out.smtps;
    std::vector<std::string> hosts = s.host.empty() ? addresses : std::vector<std::string>{s.host};
    for (const std::string& host : hosts) {
      std::string item = host + ":" + s.port;
      std::vector<std::string> have = config::split_list(*list);
      if (std::find(have.begin(), have.end(), item) != have.end()) continue;
      if (!list->empty()) *list += ' ';
      *list += item;
    }
  }
  return out;
}

}  // namespace tern::ctl

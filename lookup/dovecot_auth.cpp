// Dovecot auth client protocol: one PLAIN check per connection (see dovecot_auth.h).
#include "lookup/dovecot_auth.h"

#include <sodium.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "common/spool/file_io.h"

namespace tern::lookup {
namespace {

std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (true) {
    size_t tab = line.find('\t', pos);
    out.push_back(line.substr(pos, tab == std::string_view::npos ? std::string_view::npos : tab - pos));
    if (tab == std::string_view::npos) return out;
    pos = tab + 1;
  }
}

bool plain_ip(const std::string& s) {
  if (s.empty() || s.size() > 45) return false;
  for (char c : s)
    if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == '.' || c == ':')) return false;
  return true;
}

AuthOutcome temp(std::string reason) { return {AuthVerdict::kTempFail, std::move(reason)}; }

// Reads from fd up to and including one '\n'; buffered in *pending.
bool read_line(int fd, std::string* pending, std::string* line) {
  while (true) {
    size_t nl = pending->find('\n');
    if (nl != std::string::npos) {
      *line = pending->substr(0, nl);
      pending->erase(0, nl + 1);
      return true;
    }
    if (pending->size() > 65536) return false;
    char buf[4096];
    ssize_t got = ::read(fd, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    pending->append(buf, static_cast<size_t>(got));
  }
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t put = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) return false;
    data.remove_prefix(static_cast<size_t>(put));
  }
  return true;
}

}  // namespace

std::string dovecot_auth_line(unsigned id, const DovecotAuthRequest& request) {
  std::string plain;
  plain.push_back('\0');
  plain += request.username;
  plain.push_back('\0');
  plain += request.password;
  std::string encoded(sodium_base64_ENCODED_LEN(plain.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(encoded.data(), encoded.size(), reinterpret_cast<const unsigned char*>(plain.data()), plain.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  encoded.resize(std::strlen(encoded.c_str()));
  sodium_memzero(plain.data(), plain.size());
  std::string line = "AUTH\t" + std::to_string(id) + "\tPLAIN\tservice=smtp\tnologin";
  if (request.secured) line += "\tsecured";
  if (plain_ip(request.client_address)) line += "\trip=" + request.client_address;
  line += "\tresp=" + encoded + "\n";
  sodium_memzero(encoded.data(), encoded.size());
  return line;
}

AuthOutcome dovecot_auth_reply(std::string_view line, unsigned id, bool* answered) {
  auto f = fields(line);
  *answered = false;
  if (f.size() < 2 || f[1] != std::to_string(id)) return temp("unexpected line from Dovecot auth: " + std::string(line.substr(0, 200)));
  *answered = true;
  if (f[0] == "OK") return {AuthVerdict::kOk, ""};
  if (f[0] == "FAIL") {
    std::string reason = "authentication failed";
    bool temporary = false;
    for (size_t i = 2; i < f.size(); ++i) {
      if (f[i] == "temp") temporary = true;
      if (f[i].starts_with("reason=")) reason = std::string(f[i].substr(7));
    }
    return {temporary ? AuthVerdict::kTempFail : AuthVerdict::kFail, reason};
  }
  if (f[0] == "CONT") return {AuthVerdict::kFail, "Dovecot asked for more than PLAIN's one response"};
  return temp("unexpected answer from Dovecot auth: " + std::string(f[0]));
}

std::string dovecot_handshake_problem(const std::vector<std::string>& lines) {
  bool version = false;
  bool plain = false;
  for (const std::string& line : lines) {
    auto f = fields(line);
    if (f[0] == "VERSION") {
      if (f.size() < 2 || f[1] != "1") return "Dovecot auth speaks protocol version " + std::string(f.size() > 1 ? f[1] : "?") + ", not 1";
      version = true;
    } else if (f[0] == "MECH" && f.size() > 1 && f[1] == "PLAIN") {
      plain = true;
    }
  }
  if (!version) return "no VERSION from Dovecot auth";
  if (!plain) return "Dovecot auth does not offer PLAIN (auth_mechanisms)";
  return "";
}

AuthOutcome dovecot_auth_check(const std::string& socket_path, const DovecotAuthRequest& request, int timeout_seconds) {
  sockaddr_un addr{};
  if (socket_path.size() >= sizeof addr.sun_path) return temp("smtpd_sasl_path is too long: " + socket_path);
  spool::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return temp(std::string("socket: ") + std::strerror(errno));
  timeval tv{timeout_seconds, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return temp("connect to Dovecot auth at " + socket_path + ": " + std::strerror(errno));
  }
  if (!write_all(fd.get(), "VERSION\t1\t2\nCPID\t" + std::to_string(::getpid()) + "\n")) {
    return temp("write to Dovecot auth at " + socket_path + ": " + std::strerror(errno));
  }
  std::string pending;
  std::string line;
  std::vector<std::string> handshake;
  while (true) {
    if (!read_line(fd.get(), &pending, &line)) return temp("no handshake from Dovecot auth at " + socket_path);
    if (line == "DONE") break;
    handshake.push_back(line);
    if (handshake.size() > 1000) return temp("endless handshake from Dovecot auth at " + socket_path);
  }
  if (std::string problem = dovecot_handshake_problem(handshake); !problem.empty()) return temp(problem);
  constexpr unsigned kId = 1;
  std::string auth = dovecot_auth_line(kId, request);
  bool sent = write_all(fd.get(), auth);
  sodium_memzero(auth.data(), auth.size());
  if (!sent) return temp("write to Dovecot auth at " + socket_path + ": " + std::strerror(errno));
  if (!read_line(fd.get(), &pending, &line)) return temp("no answer from Dovecot auth at " + socket_path);
  bool answered = false;
  return dovecot_auth_reply(line, kId, &answered);
}

}  // namespace tern::lookup

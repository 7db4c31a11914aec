// sendmail: options, the message, submission or the maildrop (see sendmail_command.h).
#include "ctl/commands/sendmail_command.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <set>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "common/log/log.h"
#include "common/spool/queue_id.h"
#include "ctl/command.h"
#include "ctl/commands/newaliases_command.h"
#include "ctl/commands/sendmail_addresses.h"
#include "ctl/commands/sendmail_maildrop.h"
#include "ctl/commands/sendmail_message.h"
#include "ctl/commands/sendmail_options.h"
#include "ctl/commands/sendmail_submit.h"

namespace tern::ctl {
namespace {

constexpr int kExitDataErr = 65;
constexpr int kExitNoUser = 67;

int usage_error(const std::string& why) {
  std::fprintf(stderr, "sendmail: %s\n", why.c_str());
  std::fprintf(stderr, "usage: sendmail [-t] [-i] [-f sender] [-F full_name] [-N dsn] [-R ret] [-V envid] "
                       "[-C config] [-bm|-bs|-bp|-bi|-q] [--] [recipient...]\n");
  return kExitUsage;
}

// -C names main.cf-style file or its directory (as Postfix's sendmail -C does).
std::string config_directory(const SendmailOptions& o) {
  if (!o.config) return config::config_directory_from(nullptr);
  struct stat st {};
  if (::stat(o.config->c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return *o.config;
  size_t slash = o.config->rfind('/');
  return slash == std::string::npos ? "." : o.config->substr(0, slash == 0 ? 1 : slash);
}

// Reads standard input until EOF, or until a lone "." line unless ignore_dots (a writer that
// keeps going after it is not waited for). Fails when more than limit bytes come.
Result<std::string> read_input(bool ignore_dots, size_t limit) {
  std::string raw;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("read standard input", errno);
    if (n == 0) return raw;
    size_t scan_from = raw.size() < 2 ? 0 : raw.size() - 2;
    raw.append(buf, static_cast<size_t>(n));
    if (!ignore_dots) {
      std::string_view view(raw);
      if (view.starts_with(".\n") || view.starts_with(".\r\n") ||
          view.find("\n.\n", scan_from) != std::string_view::npos ||
          view.find("\n.\r\n", scan_from) != std::string_view::npos) {
        return raw;
      }
    }
    if (raw.size() > limit) return fail("message too large (message_size_limit is " + std::to_string(limit) + ")");
  }
}

// The full name for an added From: -F, else $NAME, else the GECOS field up to its first comma.
std::string full_name(const SendmailOptions& o, const struct passwd* pw) {
  if (o.full_name) return *o.full_name;
  if (const char* name = std::getenv("NAME"); name != nullptr && *name) return name;
  std::string gecos = pw->pw_gecos ? pw->pw_gecos : "";
  return gecos.substr(0, gecos.find(','));
}

int utc_offset_minutes(int64_t now_us) {
  time_t t = static_cast<time_t>(now_us / 1000000);
  struct tm tm;
  localtime_r(&t, &tm);
  return static_cast<int>(tm.tm_gmtoff / 60);
}

// Adds the addresses in `text` (a list, as in a header) to out, qualified; false with a
// message on stderr for a bad one.
bool add_recipients(const std::string& text, const std::string& origin, std::vector<std::string>& out,
                    std::set<std::string>& seen) {
  for (const std::string& a : parse_address_list(text)) {
    auto q = qualify_address(a, origin, false);
    if (!q) {
      std::fprintf(stderr, "sendmail: %s\n", q.error().message.c_str());
      return false;
    }
    if (seen.insert(*q).second) out.push_back(*q);
  }
  return true;
}

proto::Envelope maildrop_envelope(const Submission& s, int64_t now_us) {
  proto::Envelope e;
  e.set_sender(s.sender);
  for (const auto& r : s.recipients) {
    proto::Recipient* p = e.add_recipients();
    p->set_address(r);
    p->set_notify(s.notify);
  }
  if (s.ret == "FULL") e.set_ret(proto::RET_FULL);
  if (s.ret == "HDRS") e.set_ret(proto::RET_HDRS);
  e.set_envid(s.envid);
  e.set_arrival_time_us(now_us);
  return e;  // client info stays empty: pickup takes the uid from the file's owner
}

int deliver(const SendmailOptions& o, const config::Config& config) {
  uid_t uid = ::getuid();
  const struct passwd* pw = ::getpwuid(uid);
  if (pw == nullptr) {
    std::fprintf(stderr, "sendmail: no login name found for user ID %u\n", static_cast<unsigned>(uid));
    return kExitNoUser;
  }
  std::string origin = config.get("myorigin");
  std::string hostname = config.get("myhostname");
  Submission s;
  s.helo = hostname;
  s.sender = std::string(pw->pw_name) + "@" + origin;
  if (o.sender) {
    auto sender = qualify_address(*o.sender, origin, true);
    if (!sender) return usage_error("-f " + sender.error().message);
    if (*sender != s.sender && uid != 0) {
      // Postfix lets any user set the envelope sender; we do too, and say who did.
      TERN_LOG_INFO("uid=%u (%s) set the sender with -f: from=<%s>", static_cast<unsigned>(uid), pw->pw_name,
                    sender->c_str());
    }
    s.sender = *sender;
  }
  s.notify = o.notify;
  s.ret = o.ret;
  s.envid = o.envid;

  size_t limit = static_cast<size_t>(config.get_int("message_size_limit"));
  if (limit == 0) limit = SIZE_MAX / 2;
  auto raw = read_input(o.ignore_dots, limit + 64 * 1024);
  if (!raw) {
    std::fprintf(stderr, "sendmail: %s\n", raw.error().message.c_str());
    return raw.error().code == 0 ? kExitDataErr : kExitTempFail;
  }
  spool::SystemClock clock;
  MessageDefaults d;
  d.extract_recipients = o.extract_recipients;
  d.from_address = s.sender;
  d.full_name = full_name(o, pw);
  d.myhostname = hostname;
  d.now_us = clock.now_us();
  d.pid = static_cast<long>(::getpid());
  d.utc_offset_minutes = utc_offset_minutes(d.now_us);
  PreparedMessage message = prepare_message(split_input(*raw, o.ignore_dots), d);
  if (message.bytes.size() > limit) {
    std::fprintf(stderr, "sendmail: message too large (message_size_limit is %zu)\n", limit);
    return kExitDataErr;
  }

  std::set<std::string> seen;
  for (const std::string& arg : o.recipients) {
    if (!add_recipients(arg, origin, s.recipients, seen)) return kExitUsage;
  }
  for (const std::string& h : message.header_recipients) {
    if (!add_recipients(h, origin, s.recipients, seen)) return kExitDataErr;
  }
  if (s.recipients.empty()) {
    return usage_error(o.extract_recipients ? "no recipient addresses found in message header"
                                            : "no recipients specified");
  }

  std::string spool = config.get("spool_directory");
  SubmitResult r = submit_message(spool + "/public/submit", s, message.bytes);
  for (const auto& refused : r.refused) std::fprintf(stderr, "sendmail: not sent to %s\n", refused.c_str());
  if (r.outcome == SubmitOutcome::kQueued) {
    if (o.verbose) std::fprintf(stderr, "sendmail: %s\n", r.detail.c_str());
    return kExitOk;
  }
  if (r.outcome == SubmitOutcome::kRejected) {
    std::fprintf(stderr, "sendmail: %s\n", r.detail.c_str());
    return r.exit_code;
  }
  auto kept = write_maildrop(spool, maildrop_envelope(s, d.now_us), message.bytes);
  if (!kept) {
    std::fprintf(stderr,
                 "sendmail: cannot submit the message: Tern is not answering (%s), and it cannot be kept "
                 "in %s/maildrop (%s); try again later\n",
                 r.detail.c_str(), spool.c_str(), kept.error().message.c_str());
    return kExitTempFail;
  }
  TERN_LOG_INFO("uid=%u from=<%s>: kept in maildrop/%s (%s)", static_cast<unsigned>(uid), s.sender.c_str(),
                kept->c_str(), r.detail.c_str());
  if (o.verbose) {
    std::fprintf(stderr, "sendmail: Tern is not answering (%s); message kept in maildrop/%s\n", r.detail.c_str(),
                 kept->c_str());
  }
  return kExitOk;
}

}  // namespace

int run_sendmail_argv(int argc, char** argv) {
  log::init("sendmail", log::Sink::kSyslog);
  std::vector<std::string> args(argv + 1, argv + argc);
  auto options = parse_sendmail_options(args);
  if (!options) return usage_error(options.error().message);
  Invocation inv;
  inv.config_directory = config_directory(*options);
  switch (options->mode) {
    case SendmailMode::kList: return run_mailq(inv);
    case SendmailMode::kFlush: return run_queue_flush(inv);
    case SendmailMode::kAliases: {
      std::string dir = inv.config_directory;
      char name[] = "newaliases", dash_c[] = "-c";
      char* na_argv[] = {name, dash_c, dir.data(), nullptr};
      return run_newaliases_argv(3, na_argv);
    }
    case SendmailMode::kSmtp:
    case SendmailMode::kDeliver: break;
  }
  auto config = config::Config::load(inv.config_directory);
  if (!config) {
    std::fprintf(stderr, "sendmail: %s\n", config.error().message.c_str());
    return kExitConfig;
  }
  if (options->mode == SendmailMode::kSmtp) return relay_smtp_stdio(config->get("spool_directory") + "/public/submit");
  return deliver(*options, *config);
}

}  // namespace tern::ctl

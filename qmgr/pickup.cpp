// Pickup of maildrop files into the queue (see pickup.h).
#include "qmgr/pickup.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>

#include "common/log/log.h"
#include "common/smtp/address.h"
#include "common/spool/file_io.h"
#include "common/spool/layout.h"
#include "common/spool/queue_file.h"
#include "common/spool/queue_writer.h"

namespace tern::qmgr {
namespace {

constexpr int64_t kStaleTempSeconds = 3600;
constexpr size_t kMaxEnvid = 100;

enum class Outcome { kQueued, kCorrupt, kSkipped, kStop };

struct DirCloser {
  void operator()(DIR* dir) const { ::closedir(dir); }
};

bool is_hex_name(std::string_view name) {
  return name.size() == 32 && std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool is_temp_name(std::string_view name) { return name.starts_with("tmp.") && is_hex_name(name.substr(4)); }

// A directory entry's name for a log line: users choose it, so no control bytes, and short.
std::string printable(std::string_view name) {
  std::string out;
  for (char c : name.substr(0, 64)) {
    unsigned char u = static_cast<unsigned char>(c);
    out.push_back(u < 32 || u >= 127 ? '?' : c);
  }
  return name.size() > 64 ? out + "..." : out;
}

bool has_8bit(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

bool valid_path(const std::string& address, smtp::PathKind kind) {
  if (address.empty() || address.size() > smtp::kMaxPath) return false;
  size_t consumed = 0;
  auto path = smtp::parse_path("<" + address + ">", kind, smtp::PathOptions{.allow_utf8 = true}, &consumed);
  return path && consumed == address.size() + 2 && !path->null && !path->mailbox.domain.empty();
}

std::string received_date(int64_t time_us) {
  time_t t = static_cast<time_t>(time_us / 1000000);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000 (UTC)", &tm);
  return buf;
}

// Reads the whole file, failing (EFBIG) past max bytes: the owner may still be writing to it.
Result<std::string> read_bounded(int fd, uint64_t max, const std::string& what) {
  std::string bytes;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno(what + ": read", errno);
    if (n == 0) return bytes;
    bytes.append(buf, static_cast<size_t>(n));
    if (bytes.size() > max) return fail(what + ": larger than the pickup limit", EFBIG);
  }
}

// The envelope to queue, built from the fields of the file that pass the checks.
Result<proto::Envelope> checked_envelope(const spool::ParsedQueueFile& file, std::string_view message,
                                         const PickupSettings& s) {
  const proto::Envelope& in = file.envelope;
  if (!file.statuses.empty() || file.torn_tail) return fail("unexpected status records");
  if (s.message_size_limit > 0 && file.message_length > s.message_size_limit) return fail("message too large");
  if (in.recipients_size() == 0) return fail("no recipients");
  if (static_cast<size_t>(in.recipients_size()) > s.recipient_limit) return fail("too many recipients");
  if (!in.sender().empty() && !valid_path(in.sender(), smtp::PathKind::kReverse))
    return fail("bad sender address");
  if (in.ret() != proto::RET_UNSPECIFIED && in.ret() != proto::RET_FULL && in.ret() != proto::RET_HDRS)
    return fail("bad RET value");
  if (in.envid().size() > kMaxEnvid || has_8bit(in.envid()) ||
      std::any_of(in.envid().begin(), in.envid().end(), [](char c) { return c < 32 || c == 127; }))
    return fail("bad ENVID");
  proto::Envelope out;
  out.set_sender(in.sender());
  bool utf8 = has_8bit(in.sender());
  for (const proto::Recipient& r : in.recipients()) {
    if (!valid_path(r.address(), smtp::PathKind::kForward)) return fail("bad recipient address");
    uint32_t notify = r.notify() & 15;
    if ((notify & 8) && notify != 8) return fail("bad NOTIFY value");
    proto::Recipient* copy = out.add_recipients();
    copy->set_address(r.address());
    copy->set_notify(notify);
    utf8 = utf8 || has_8bit(r.address());
  }
  out.set_ret(in.ret());
  out.set_envid(in.envid());
  out.set_smtputf8(utf8);
  out.set_body_8bitmime(has_8bit(message));
  return out;
}

class Picker {
 public:
  Picker(int spool_fd, int maildrop_fd, spool::QueueIdGenerator& ids, spool::Clock& clock,
         const PickupSettings& settings)
      : spool_fd_(spool_fd), maildrop_fd_(maildrop_fd), ids_(ids), clock_(clock), s_(settings) {}

  Outcome pick(const std::string& name) {
    if (is_temp_name(name)) return remove_if_stale(name);
    if (!is_hex_name(name)) return corrupt(name, "not a maildrop file name");
    int fd = ::openat(maildrop_fd_, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
      int err = errno;
      if (err == ENOENT) return Outcome::kSkipped;
      if (err == EMFILE || err == ENFILE || err == ENOMEM) return Outcome::kStop;
      return corrupt(name, std::string("open: ") + std::strerror(err));
    }
    spool::UniqueFd file(fd);
    struct stat st {};
    if (::fstat(fd, &st) != 0) return corrupt(name, std::string("fstat: ") + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) return corrupt(name, "not a regular file");
    if (st.st_nlink != 1) return corrupt(name, "has " + std::to_string(st.st_nlink) + " links");
    uint64_t max = max_file_bytes();
    if (static_cast<uint64_t>(st.st_size) > max) return corrupt(name, "file too large");
    auto bytes = read_bounded(fd, max, "maildrop/" + name);
    if (!bytes) {
      if (bytes.error().code == EFBIG) return corrupt(name, "file too large");
      TERN_LOG_WARNING("%s", bytes.error().message.c_str());
      return Outcome::kStop;
    }
    auto parsed = spool::parse_queue_file(*bytes);
    if (!parsed) return corrupt(name, parsed.error().message);
    std::string_view message = std::string_view(*bytes).substr(parsed->message_offset, parsed->message_length);
    auto envelope = checked_envelope(*parsed, message, s_);
    if (!envelope) return corrupt(name, envelope.error().message);
    return queue(name, st.st_uid, std::move(*envelope), message);
  }

  const std::string& queued_id() const { return queued_id_; }

 private:
  uint64_t max_file_bytes() const {
    uint64_t room = spool::kQueueFileHeaderSize + spool::kQueueFileTrailerSize + 64 * 1024 +
                    static_cast<uint64_t>(s_.recipient_limit) * 2 * smtp::kMaxPath;
    uint64_t message = s_.message_size_limit > 0 ? s_.message_size_limit : (1ull << 30);
    return message + room;
  }

  Outcome queue(const std::string& name, uid_t owner, proto::Envelope envelope, std::string_view message) {
    int64_t now = clock_.now_us();
    envelope.set_queue_id(ids_.next());
    envelope.set_arrival_time_us(now);
    proto::ClientInfo* client = envelope.mutable_client();
    client->set_protocol("LOCAL");
    client->set_hostname("localhost");
    client->set_local_uid(static_cast<int64_t>(owner));
    const std::string& id = envelope.queue_id();
    auto writer = spool::QueueFileWriter::create(spool_fd_, id, envelope);
    if (!writer) {
      TERN_LOG_WARNING("maildrop/%s: cannot queue it: %s", name.c_str(), writer.error().message.c_str());
      return Outcome::kStop;
    }
    std::string received = "Received: by " + s_.myhostname + " (Tern, from userid " + std::to_string(owner) +
                           ")\r\n\tid " + id;
    if (envelope.recipients_size() == 1) received += "\r\n\tfor <" + envelope.recipients(0).address() + ">";
    received += "; " + received_date(now) + "\r\n";
    Result<void> ok = writer->append(received);
    if (ok) ok = writer->append(message);
    if (ok) ok = writer->commit();
    if (!ok) {
      TERN_LOG_WARNING("maildrop/%s: cannot queue it: %s", name.c_str(), ok.error().message.c_str());
      writer->abort();
      return Outcome::kStop;
    }
    TERN_LOG_INFO("%s: uid=%u from=<%s>", id.c_str(), static_cast<unsigned>(owner), envelope.sender().c_str());
    // Committed: only now may the maildrop copy go. A crash before this line queues it twice.
    if (::unlinkat(maildrop_fd_, name.c_str(), 0) != 0 && errno != ENOENT) {
      TERN_LOG_ERROR("maildrop/%s: queued as %s but cannot remove it: %s", name.c_str(), id.c_str(),
                     std::strerror(errno));
      return Outcome::kStop;  // picking it up again would duplicate it
    }
    queued_id_ = id;
    return Outcome::kQueued;
  }

  Outcome remove_if_stale(const std::string& name) {
    struct stat st {};
    if (::fstatat(maildrop_fd_, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return Outcome::kSkipped;
    if (clock_.now_us() / 1000000 - st.st_mtime < kStaleTempSeconds) return Outcome::kSkipped;
    if (::unlinkat(maildrop_fd_, name.c_str(), 0) == 0)
      TERN_LOG_WARNING("maildrop/%s: removed an unfinished file left by sendmail", name.c_str());
    return Outcome::kSkipped;
  }

  Outcome corrupt(const std::string& name, const std::string& why) {
    std::string to = std::string(spool::kCorruptDir) + "/maildrop." + ids_.next();
    std::string from = std::string(spool::kMaildropDir) + "/" + name;
    if (spool::rename_noreplace(spool_fd_, from.c_str(), to.c_str()) != 0) {
      TERN_LOG_ERROR("maildrop/%s: %s; cannot move it to %s: %s", printable(name).c_str(), why.c_str(), to.c_str(),
                     std::strerror(errno));
      return Outcome::kStop;
    }
    TERN_LOG_WARNING("maildrop/%s: %s; moved to %s", printable(name).c_str(), why.c_str(), to.c_str());
    return Outcome::kCorrupt;
  }

 private:
  int spool_fd_;
  int maildrop_fd_;
  spool::QueueIdGenerator& ids_;
  spool::Clock& clock_;
  const PickupSettings& s_;
  std::string queued_id_;  // set by a pick that returns kQueued
};

}  // namespace

PickupSettings PickupSettings::from_config(const config::Config& config) {
  PickupSettings s;
  s.myhostname = config.get("myhostname");
  s.message_size_limit = static_cast<uint64_t>(std::max<int64_t>(0, config.get_int("message_size_limit")));
  s.recipient_limit = static_cast<size_t>(std::max<int64_t>(1, config.get_int("smtpd_recipient_limit")));
  return s;
}

PickupResult pickup_maildrop(int spool_dirfd, spool::QueueIdGenerator& ids, spool::Clock& clock,
                             const PickupSettings& settings) {
  PickupResult result;
  auto dirfd = spool::open_directory(spool_dirfd, spool::kMaildropDir);
  if (!dirfd) {
    TERN_LOG_WARNING("pickup: %s", dirfd.error().message.c_str());
    return result;
  }
  std::vector<std::string> names;
  {
    std::unique_ptr<DIR, DirCloser> dir(::fdopendir(::dup(dirfd->get())));
    if (!dir) {
      TERN_LOG_WARNING("pickup: maildrop/: %s", std::strerror(errno));
      return result;
    }
    while (struct dirent* entry = ::readdir(dir.get())) {
      std::string_view name = entry->d_name;
      if (name == "." || name == "..") continue;
      if (names.size() == settings.max_files) {
        result.more = true;
        break;
      }
      names.emplace_back(name);
    }
  }
  Picker picker(spool_dirfd, dirfd->get(), ids, clock, settings);
  for (const std::string& name : names) {
    Outcome outcome = picker.pick(name);
    if (outcome == Outcome::kQueued) result.queued.push_back(picker.queued_id());
    if (outcome == Outcome::kCorrupt) ++result.corrupt;
    if (outcome == Outcome::kStop) {
      result.more = false;  // a temporary failure: the next regular run tries again
      break;
    }
  }
  return result;
}

}  // namespace tern::qmgr

// SessionHost: what an SMTP Session needs from the world -- the connection it talks over,
// lookup, the spool and timers. The Connection implements it over libuv (and TLS); unit
// tests implement it with fakes. Every callback a host takes runs later on the loop thread,
// never from inside the call, and never after the Session is destroyed.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/spool/queue_writer.h"
#include "envelope.pb.h"
#include "lookup.pb.h"

namespace tern::smtpd {

// Which door the client came through (DESIGN.md §1).
enum class Role { kSmtp, kSubmission, kSmtps, kLocal };

const char* role_name(Role role);

struct ClientIdentity {
  Role role = Role::kSmtp;
  std::string address;               // IP address; empty for local submission
  uint32_t port = 0;
  std::string hostname = "unknown";  // no reverse look-up in smtpd: Postfix's "unknown"
  int64_t local_uid = -1;            // local submission: the peer's uid (SO_PEERCRED)

  // "unknown[192.0.2.1]" or "local[uid=1000]" for log lines.
  std::string log_name() const;
};

class SessionHost {
 public:
  virtual ~SessionHost() = default;
  // Queues reply bytes for the client.
  virtual void send(std::string_view bytes) = 0;
  // Sends what is queued, then closes. No input is delivered afterwards.
  virtual void close() = 0;
  // Pauses (false) or resumes (true) input while the session waits for a look-up or a commit.
  // The host may still hand over what the client pipelines meanwhile (the session holds it
  // unprocessed), up to a bound; beyond it the host stops reading: back-pressure.
  virtual void set_reading(bool reading) = 0;
  // After "220 Ready to start TLS" was sent: the following bytes are TLS. False when TLS is
  // not available. The host calls Session::tls_established() once the handshake is done.
  virtual bool start_tls() = 0;
  virtual void lookup(proto::LookupRequest request, std::function<void(Result<proto::LookupReply>)> done) = 0;
  // Runs fn after ms milliseconds (one pending delay per session; a new one replaces it).
  virtual void after(uint64_t ms, std::function<void()> fn) = 0;
  virtual std::string new_queue_id() = 0;
  virtual Result<spool::QueueFileWriter> create_queue_file(const proto::Envelope& envelope) = 0;
  // Commits (fsync, rename, directory fsync) off the loop thread; done gets the outcome.
  virtual void commit(spool::QueueFileWriter writer, std::function<void(Result<void>)> done) = 0;
  // A message was committed: wake qmgr.
  virtual void accepted(const std::string& queue_id) = 0;
  virtual int64_t now_us() = 0;
};

}  // namespace tern::smtpd

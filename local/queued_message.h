// read_queued_message(): what a delivery needs from a queue file -- its envelope and the
// message bytes -- read with as few system calls as the file allows.
//
// Both go through spool::read_queue_fd: a small file (at most whole_file_limit bytes, by
// fstat) is read in one pread and handed over whole; for a larger one it reads the header,
// the envelope and the tail, and one more pread fetches the message, so that a big message is
// not held twice. Both paths check the same things: a regular file, magic,
// committed lengths that fit the file, an envelope that parses, the trailer and every status
// record after it.
//
// Runs on whichever thread delivers (a work-pool thread or a delivery child), with ids that may
// read the spool. Errors: EBADMSG for a malformed or incomplete file, else the failed call's
// errno (ENOENT: the file is gone), each message naming the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "envelope.pb.h"

namespace tern::local {

inline constexpr uint64_t kWholeFileReadLimit = 256 * 1024;

struct QueuedMessage {
  proto::Envelope envelope;
  std::string bytes;          // the whole file, or only the message for a large file
  size_t message_offset = 0;  // where the message starts in `bytes`
  size_t message_length = 0;

  std::string_view message() const { return std::string_view(bytes).substr(message_offset, message_length); }
};

// Reads `path` (relative to the current directory, the spool; O_NOFOLLOW).
Result<QueuedMessage> read_queued_message(const std::string& path, uint64_t whole_file_limit = kWholeFileReadLimit);

}  // namespace tern::local

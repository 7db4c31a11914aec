// The on-disk format of one queued message (DESIGN.md §4, STYLE.md §8) and its parser.
//
//   offset 0        "TERNQ002"                      magic and format version
//   offset 8        u64 BE  message length M        written at commit; all ones until then
//   offset 16       u32 BE  envelope length E       at most kMaxEnvelopeBytes
//   offset 20       E bytes serialized proto::Envelope
//   offset 20+E     M bytes the message, exactly as received
//   offset 20+E+M   "TERN-END"                      trailer: the file is complete
//   then            u32 BE CRC-32 (IEEE) of bytes 16 to the end of the trailer, followed by
//                   the 8 bytes of the message length (so that the header is covered too)
//   then            zero or more status records, each
//                     u32 BE length L, L bytes serialized proto::RecipientStatus,
//                     u32 BE CRC-32 (IEEE) of the length field and the L bytes
//
// The file's checksum is what lets smtpd rename a recycled file (one from free/, holding a
// finished message) into queue/ before its fsync: a crash in between can leave that name on
// old bytes, or on old and new blocks mixed, and the checksum (with the envelope's queue id,
// which qmgr compares with the name) tells either from a file that reached the disk whole.
// It is checked whenever a file is read in one piece (kWholeReadLimit); a larger file's message
// is not read, and such files are never renamed before their fsync. Files of format 1
// ("TERNQ001", no checksum: written before it existed) are still read.
//
// A status record's CRC covers the length field as well as the payload so that a zero-filled
// tail (a crash while the file grew) is never a valid record: an empty RecipientStatus
// serializes to zero bytes, and the CRC of nothing is 0.
//
// A torn or bad-CRC record that nothing good follows is a crash mid-append: it is ignored and
// reported through torn_tail/valid_length, so the status log can cut it off before appending.
// A bad record followed by a good one is corruption.
//
// Errors: format problems (bad magic, lengths that overrun, no trailer = incomplete file, a
// checksum that does not match, an envelope or status that does not parse) carry code
// EBADMSG — the file belongs in corrupt/; I/O errors from read_queue_file carry their errno
// (ENOENT: the file is gone).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "envelope.pb.h"

namespace tern::spool {

inline constexpr std::string_view kQueueFileMagic = "TERNQ002";
inline constexpr std::string_view kQueueFileMagicV1 = "TERNQ001";  // read, never written
inline constexpr std::string_view kQueueFileTrailer = "TERN-END";
inline constexpr size_t kQueueFileTrailerSize = kQueueFileTrailer.size() + 4;  // and the checksum
inline constexpr size_t kChecksumFrom = 16;  // the file's CRC starts at the envelope length
inline constexpr uint64_t kMessageLengthOffset = 8;
inline constexpr size_t kQueueFileHeaderSize = 20;  // magic, message length, envelope length
inline constexpr uint64_t kUncommittedLength = UINT64_MAX;
inline constexpr uint32_t kMaxEnvelopeBytes = 64u << 20;

struct ParsedQueueFile {
  proto::Envelope envelope;
  uint64_t message_offset = 0;  // where the message bytes start in the file
  uint64_t message_length = 0;
  std::vector<proto::RecipientStatus> statuses;  // in the order they were appended
  uint64_t valid_length = 0;  // end of the trailer (and checksum) or of the last good status record
  bool torn_tail = false;     // bytes after valid_length were ignored
};

// Parses a whole file held in memory; the message is not copied (see message_offset).
Result<ParsedQueueFile> parse_queue_file(std::string_view bytes);

// Files up to this size are read in one pread; larger ones in pieces that skip the message.
inline constexpr uint64_t kWholeReadLimit = 64 * 1024;

// Reads and parses dirfd/name (O_NOFOLLOW, a regular file). A large file's message is left on
// disk: only the header, the envelope and the part after the message are read.
Result<ParsedQueueFile> read_queue_file(int dirfd, const std::string& name);
// The same on an open file; `what` names it in error messages. With `whole`, a file of at most
// `whole_limit` bytes, read in one piece, is moved there (its message at message_offset); a
// larger one leaves it empty.
Result<ParsedQueueFile> read_queue_fd(int fd, const std::string& what, std::string* whole = nullptr,
                                      uint64_t whole_limit = kWholeReadLimit);

// The header and envelope, as the writer puts them at the start of the file.
std::string encode_queue_header(uint64_t message_length, std::string_view envelope_bytes);
// The end of a format-2 file after its message: the trailer and the checksum. `crc` is the
// CRC-32 of the bytes from kChecksumFrom to the end of the message.
std::string encode_queue_trailer(uint32_t crc, uint64_t message_length);
// The file's checksum from that running CRC: it goes on over the trailer and the length.
uint32_t queue_file_checksum(uint32_t crc, uint64_t message_length);
// A whole committed file with no status records: header, envelope, message, trailer.
std::string encode_queue_file(std::string_view envelope_bytes, std::string_view message);
// One status record: length, payload, CRC.
std::string encode_status_record(const proto::RecipientStatus& status);

// CRC-32 (IEEE 802.3, reflected: zlib's crc32()); crc32_update continues a running value.
uint32_t crc32_update(uint32_t crc, std::string_view bytes);
inline uint32_t crc32(std::string_view bytes) { return crc32_update(0, bytes); }

}  // namespace tern::spool

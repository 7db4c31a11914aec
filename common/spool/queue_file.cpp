// Queue file encoding and parsing (see queue_file.h). The parser works in two halves so that
// read_queue_fd() can skip the message: the header fixes the extent of every part, and the
// tail (trailer and status records) is decoded on its own.
#include "common/spool/queue_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include <algorithm>
#include <cerrno>

#include "common/spool/file_io.h"

namespace tern::spool {
namespace {

std::unexpected<Error> bad(std::string why) { return fail(std::move(why), EBADMSG); }

// Where each part lies, from the header and the file size.
struct Extent {
  uint64_t envelope_offset = kQueueFileHeaderSize;
  uint64_t envelope_length = 0;
  uint64_t message_offset = 0;
  uint64_t message_length = 0;
  uint64_t trailer_offset = 0;
  uint64_t trailer_size = 0;  // the trailer, and in format 2 its checksum
  bool checksummed = false;   // format 2
};

Result<Extent> decode_extent(std::string_view head, uint64_t file_size) {
  if (file_size < kQueueFileHeaderSize || head.size() < kQueueFileHeaderSize)
    return bad("incomplete: shorter than the header");
  Extent e;
  std::string_view magic = head.substr(0, kQueueFileMagic.size());
  if (magic == kQueueFileMagic) {
    e.checksummed = true;
  } else if (magic != kQueueFileMagicV1) {
    return bad("bad magic");
  }
  e.trailer_size = e.checksummed ? kQueueFileTrailerSize : kQueueFileTrailer.size();
  e.message_length = load_be64(head.data() + kMessageLengthOffset);
  e.envelope_length = load_be32(head.data() + kMessageLengthOffset + 8);
  if (e.message_length == kUncommittedLength) return bad("incomplete: never committed");
  if (e.envelope_length > kMaxEnvelopeBytes) return bad("envelope length over the limit");
  uint64_t room = file_size - kQueueFileHeaderSize;
  if (e.envelope_length > room) return bad("envelope length overruns the file");
  room -= e.envelope_length;
  if (e.message_length > room) return bad("message length overruns the file");
  room -= e.message_length;
  if (room < e.trailer_size) return bad("incomplete: no trailer");
  e.message_offset = e.envelope_offset + e.envelope_length;
  e.trailer_offset = e.message_offset + e.message_length;
  return e;
}

// One status record at `pos`: ok with its payload, or bad with where it claims to end
// (npos when it runs past the end).
struct RecordProbe {
  bool ok = false;
  std::string_view payload;
  size_t end = std::string_view::npos;
};

RecordProbe probe_record(std::string_view records, size_t pos) {
  RecordProbe probe;
  size_t left = records.size() - pos;
  if (left < 4) return probe;
  uint64_t length = load_be32(records.data() + pos);
  if (left - 4 < length + 4) return probe;
  probe.end = pos + 8 + length;
  std::string_view covered = records.substr(pos, 4 + length);
  uint32_t stored = load_be32(records.data() + pos + 4 + length);
  probe.ok = crc32(covered) == stored;
  if (probe.ok) probe.payload = covered.substr(4);
  return probe;
}

bool good_record_from(std::string_view records, size_t pos) {
  while (pos < records.size()) {
    RecordProbe probe = probe_record(records, pos);
    if (probe.ok) return true;
    pos = probe.end;  // npos ends the loop
  }
  return false;
}

// `tail` starts at the trailer and runs to the end of the file; e.trailer_offset locates it.
Result<void> decode_tail(std::string_view tail, const Extent& e, ParsedQueueFile* out) {
  if (tail.substr(0, kQueueFileTrailer.size()) != kQueueFileTrailer) return bad("bad trailer");
  std::string_view records = tail.substr(e.trailer_size);
  size_t pos = 0;
  while (pos < records.size()) {
    RecordProbe probe = probe_record(records, pos);
    if (!probe.ok) {
      if (good_record_from(records, probe.end)) return bad("bad status record before a good one");
      out->torn_tail = true;
      break;
    }
    proto::RecipientStatus& status = out->statuses.emplace_back();
    if (!status.ParseFromArray(probe.payload.data(), static_cast<int>(probe.payload.size())))
      return bad("status record does not parse");
    pos = probe.end;
  }
  out->valid_length = e.trailer_offset + e.trailer_size + pos;
  return {};
}

Result<ParsedQueueFile> decode(std::string_view envelope, const Extent& e, std::string_view tail) {
  ParsedQueueFile out;
  if (!out.envelope.ParseFromArray(envelope.data(), static_cast<int>(envelope.size())))
    return bad("envelope does not parse");
  out.message_offset = e.message_offset;
  out.message_length = e.message_length;
  if (auto r = decode_tail(tail, e, &out); !r) return std::unexpected(r.error());
  return out;
}

// A format-2 file held whole: does its checksum match?
bool checksum_matches(std::string_view bytes, const Extent& e) {
  if (!e.checksummed) return true;
  uint32_t crc = crc32(bytes.substr(kChecksumFrom, e.trailer_offset - kChecksumFrom));
  return queue_file_checksum(crc, e.message_length) ==
         load_be32(bytes.data() + e.trailer_offset + kQueueFileTrailer.size());
}

Error with_name(const std::string& what, Error error) {
  error.message = what + ": " + error.message;
  return error;
}

}  // namespace

uint32_t crc32_update(uint32_t crc, std::string_view bytes) {
  return static_cast<uint32_t>(
      ::crc32_z(crc, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()));
}

Result<ParsedQueueFile> parse_queue_file(std::string_view bytes) {
  auto extent = decode_extent(bytes, bytes.size());
  if (!extent) return std::unexpected(extent.error());
  if (!checksum_matches(bytes, *extent)) return bad("checksum does not match (not written whole)");
  return decode(bytes.substr(extent->envelope_offset, extent->envelope_length), *extent,
                bytes.substr(extent->trailer_offset));
}

Result<ParsedQueueFile> read_queue_fd(int fd, const std::string& what, std::string* whole,
                                      uint64_t whole_limit) {
  struct stat st;
  if (::fstat(fd, &st) < 0) return fail_errno(what + ": stat", errno);
  if (!S_ISREG(st.st_mode)) return fail(what + ": not a regular file", EBADMSG);
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size <= (whole != nullptr ? whole_limit : kWholeReadLimit)) {  // most files: one read, not three
    auto bytes = pread_exact(fd, size, 0, what);
    if (!bytes) return std::unexpected(bytes.error());
    auto parsed = parse_queue_file(*bytes);
    if (!parsed) return std::unexpected(with_name(what, parsed.error()));
    if (whole != nullptr) *whole = std::move(*bytes);
    return parsed;
  }
  auto head = pread_exact(fd, std::min<uint64_t>(size, kQueueFileHeaderSize), 0, what);
  if (!head) return std::unexpected(head.error());
  auto extent = decode_extent(*head, size);
  if (!extent) return std::unexpected(with_name(what, extent.error()));
  auto envelope = pread_exact(fd, extent->envelope_length, extent->envelope_offset, what);
  if (!envelope) return std::unexpected(envelope.error());
  auto tail = pread_exact(fd, size - extent->trailer_offset, extent->trailer_offset, what);
  if (!tail) return std::unexpected(tail.error());
  auto parsed = decode(*envelope, *extent, *tail);
  if (!parsed) return std::unexpected(with_name(what, parsed.error()));
  return parsed;
}

Result<ParsedQueueFile> read_queue_file(int dirfd, const std::string& name) {
  int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return fail_errno(name + ": open", errno);
  UniqueFd owned(fd);
  return read_queue_fd(owned.get(), name);
}

std::string encode_queue_header(uint64_t message_length, std::string_view envelope_bytes) {
  std::string out(kQueueFileHeaderSize, '\0');
  out.replace(0, kQueueFileMagic.size(), kQueueFileMagic);
  store_be64(out.data() + kMessageLengthOffset, message_length);
  store_be32(out.data() + kMessageLengthOffset + 8, static_cast<uint32_t>(envelope_bytes.size()));
  out.append(envelope_bytes);
  return out;
}

uint32_t queue_file_checksum(uint32_t crc, uint64_t message_length) {
  char length[8];
  store_be64(length, message_length);
  crc = crc32_update(crc, kQueueFileTrailer);
  return crc32_update(crc, std::string_view(length, sizeof length));
}

std::string encode_queue_trailer(uint32_t crc, uint64_t message_length) {
  std::string out(kQueueFileTrailer);
  out.resize(kQueueFileTrailerSize);
  store_be32(out.data() + kQueueFileTrailer.size(), queue_file_checksum(crc, message_length));
  return out;
}

std::string encode_queue_file(std::string_view envelope_bytes, std::string_view message) {
  std::string out = encode_queue_header(message.size(), envelope_bytes);
  out += message;
  out += encode_queue_trailer(crc32(std::string_view(out).substr(kChecksumFrom)), message.size());
  return out;
}

std::string encode_status_record(const proto::RecipientStatus& status) {
  std::string payload = status.SerializeAsString();
  std::string out(4, '\0');
  store_be32(out.data(), static_cast<uint32_t>(payload.size()));
  out += payload;
  uint32_t crc = crc32(out);
  out.resize(out.size() + 4);
  store_be32(out.data() + out.size() - 4, crc);
  return out;
}

}  // namespace tern::spool

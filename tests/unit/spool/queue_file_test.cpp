// Tests for the queue file format: round trip, every malformed shape, every truncation point,
// and status records with a torn or bad-CRC tail.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "common/spool/file_io.h"
#include "common/spool/queue_file.h"
#include "tests/unit/spool/spool_test_util.h"

namespace tern::spool {
namespace {

proto::Envelope sample_envelope() {
  proto::Envelope env;
  env.set_queue_id("0000000000000000");
  env.set_sender("alice@example.org");
  for (const char* rcpt : {"bob@example.net", "carol@example.com"}) {
    proto::Recipient* r = env.add_recipients();
    r->set_address(rcpt);
    r->set_notify(2);
  }
  env.mutable_client()->set_helo("mx.example.org");
  env.mutable_client()->set_address("192.0.2.7");
  env.set_arrival_time_us(1'700'000'000'000'000);
  return env;
}

proto::RecipientStatus status(uint32_t index, proto::RecipientState state) {
  proto::RecipientStatus s;
  s.set_index(index);
  s.set_state(state);
  s.set_dsn_status(state == proto::STATE_DELIVERED ? "2.0.0" : "4.4.1");
  s.set_time_us(1'700'000'000'500'000 + index);
  return s;
}

// The body deliberately contains the magic and the trailer.
const std::string kBody = "Subject: hi\r\n\r\nTERN-END TERNQ001\r\nline two\r\n";

struct Built {
  std::string bytes;
  size_t trailer_end = 0;                // where the status records start
  std::vector<size_t> record_ends;       // end offset of each record
};

Built build(const std::string& body, const std::vector<proto::RecipientStatus>& statuses) {
  Built b;
  b.bytes = encode_queue_file(sample_envelope().SerializeAsString(), body);
  b.trailer_end = b.bytes.size();
  for (const auto& s : statuses) {
    b.bytes += encode_status_record(s);
    b.record_ends.push_back(b.bytes.size());
  }
  return b;
}

const std::vector<proto::RecipientStatus> kStatuses = {
    status(0, proto::STATE_DEFERRED), status(1, proto::STATE_DELIVERED),
    status(0, proto::STATE_DELIVERED)};

std::string_view message_of(const std::string& bytes, const ParsedQueueFile& p) {
  return std::string_view(bytes).substr(p.message_offset, p.message_length);
}

TEST_SUITE("spool.queue_file") {
  TEST_CASE("crc32 is the IEEE CRC") {
    CHECK(crc32("123456789") == 0xCBF43926u);
    CHECK(crc32("") == 0u);
    CHECK(crc32_update(crc32("1234"), "56789") == 0xCBF43926u);
  }

  TEST_CASE("a file round-trips") {
    struct Row {
      const char* name;
      std::string body;
      size_t statuses;
    };
    const Row rows[] = {
        {"empty message, no statuses", "", 0},
        {"message, no statuses", kBody, 0},
        {"message and statuses", kBody, 3},
        {"binary message", std::string("\0\xff\r\n\0", 5), 1},
    };
    for (const Row& row : rows) {
      INFO("row: ", row.name);
      std::vector<proto::RecipientStatus> want(kStatuses.begin(), kStatuses.begin() + row.statuses);
      Built b = build(row.body, want);
      auto parsed = parse_queue_file(b.bytes);
      REQUIRE(parsed.has_value());
      CHECK(parsed->envelope.SerializeAsString() == sample_envelope().SerializeAsString());
      CHECK(message_of(b.bytes, *parsed) == row.body);
      REQUIRE(parsed->statuses.size() == want.size());
      for (size_t i = 0; i < want.size(); ++i)
        CHECK(parsed->statuses[i].SerializeAsString() == want[i].SerializeAsString());
      CHECK(parsed->valid_length == b.bytes.size());
      CHECK_FALSE(parsed->torn_tail);
    }
  }

  TEST_CASE("malformed files are rejected with EBADMSG") {
    Built good = build(kBody, {kStatuses[0], kStatuses[1]});
    const size_t env_len = sample_envelope().SerializeAsString().size();
    auto with = [&](size_t offset, std::string replacement) {
      std::string b = good.bytes;
      b.replace(offset, replacement.size(), replacement);
      return b;
    };
    auto be64 = [](uint64_t v) { std::string s(8, '\0'); store_be64(s.data(), v); return s; };
    auto be32 = [](uint32_t v) { std::string s(4, '\0'); store_be32(s.data(), v); return s; };
    // A record whose CRC is right but whose payload is not a RecipientStatus.
    std::string junk_record = be32(3) + "\xff\xff\xff";
    junk_record += be32(crc32(junk_record));
    // A bad-CRC record followed by a good one.
    std::string flipped = good.bytes;
    flipped[good.trailer_end + 5] ^= 0x01;

    struct Row {
      const char* name;
      std::string bytes;
    };
    const Row rows[] = {
        {"empty", ""},
        {"magic only", std::string(kQueueFileMagic)},
        {"bad magic", with(0, "TERNQ003")},
        {"never committed", with(8, be64(kUncommittedLength))},
        {"message length overruns", with(8, be64(good.bytes.size()))},
        {"message length one too long: trailer cut", with(8, be64(kBody.size() + 1))},
        {"message length huge", with(8, be64(uint64_t{1} << 62))},
        {"message length short: trailer not where expected", with(8, be64(kBody.size() - 1))},
        {"envelope length overruns", with(16, be32(static_cast<uint32_t>(good.bytes.size())))},
        {"envelope length over the limit", with(16, be32(0xffffffffu))},
        {"envelope does not parse", encode_queue_file("\xff\xff\xff\xff", "")},
        {"bad trailer", with(20 + env_len + kBody.size(), "TERN-EN!")},
        {"no trailer", good.bytes.substr(0, good.trailer_end - 1)},
        {"good-CRC status that does not parse",
         good.bytes.substr(0, good.trailer_end) + junk_record},
        {"bad-CRC status before a good one", flipped},
    };
    for (const Row& row : rows) {
      INFO("row: ", row.name);
      auto parsed = parse_queue_file(row.bytes);
      REQUIRE_FALSE(parsed.has_value());
      CHECK(parsed.error().code == EBADMSG);
      CHECK_FALSE(parsed.error().message.empty());
    }
  }

  TEST_CASE("any byte changed before the status records is refused when the file is read whole") {
    // What a crash leaves of a recycled file renamed before its fsync: old and new bytes mixed.
    Built b = build(kBody, {kStatuses[0]});
    for (size_t i = 0; i < b.trailer_end; ++i) {
      for (unsigned char mask : {0x01, 0x80}) {
        INFO("byte ", i, " xor ", int(mask));
        std::string changed = b.bytes;
        changed[i] = static_cast<char>(changed[i] ^ mask);
        auto parsed = parse_queue_file(changed);
        REQUIRE_FALSE(parsed.has_value());
        CHECK(parsed.error().code == EBADMSG);
      }
    }
    std::string body_changed = b.bytes;
    body_changed[b.trailer_end - 20] ^= 0x01;  // in the message
    auto parsed = parse_queue_file(body_changed);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().message.find("checksum") != std::string::npos);
  }

  TEST_CASE("format 1 files, without a checksum, are still read") {
    std::string v1 = encode_queue_header(kBody.size(), sample_envelope().SerializeAsString());
    v1.replace(0, kQueueFileMagicV1.size(), kQueueFileMagicV1);
    v1 += kBody;
    v1 += kQueueFileTrailer;
    const size_t trailer_end = v1.size();
    v1 += encode_status_record(kStatuses[0]);
    auto parsed = parse_queue_file(v1);
    REQUIRE(parsed.has_value());
    CHECK(message_of(v1, *parsed) == kBody);
    CHECK(parsed->statuses.size() == 1);
    CHECK(parsed->valid_length == v1.size());
    auto cut = parse_queue_file(std::string_view(v1).substr(0, trailer_end - 1));
    CHECK_FALSE(cut.has_value());
  }

  TEST_CASE("a file cut at any byte parses whole or not at all") {
    Built b = build(kBody, kStatuses);
    for (size_t n = 0; n <= b.bytes.size(); ++n) {
      INFO("cut at ", n, " of ", b.bytes.size());
      std::string cut = b.bytes.substr(0, n);
      auto parsed = parse_queue_file(cut);
      if (n < b.trailer_end) {
        CHECK_FALSE(parsed.has_value());
        continue;
      }
      REQUIRE(parsed.has_value());
      CHECK(message_of(cut, *parsed) == kBody);  // never a short message
      size_t whole = 0;
      size_t valid = b.trailer_end;
      while (whole < b.record_ends.size() && b.record_ends[whole] <= n)
        valid = b.record_ends[whole++];
      CHECK(parsed->statuses.size() == whole);
      CHECK(parsed->valid_length == valid);
      CHECK(parsed->torn_tail == (valid != n));
    }
  }

  TEST_CASE("the same cuts read from disk") {
    testing::TempSpool spool;
    Built b = build(kBody, kStatuses);
    const std::string path = spool.path() + "/queue/file";
    for (size_t n = 0; n <= b.bytes.size(); ++n) {
      INFO("cut at ", n);
      REQUIRE(testing::write_file(path, b.bytes.substr(0, n)));
      auto parsed = read_queue_file(spool.queue_fd(), "file");
      CHECK(parsed.has_value() == (n >= b.trailer_end));
      if (!parsed) {
        CHECK(parsed.error().code == EBADMSG);
        CHECK(parsed.error().message.rfind("file: ", 0) == 0);
        continue;
      }
      CHECK(parsed->message_offset + parsed->message_length + kQueueFileTrailer.size() + 4 ==
            b.trailer_end);
      CHECK(b.bytes.substr(parsed->message_offset, parsed->message_length) == kBody);
      CHECK(parsed->envelope.sender() == "alice@example.org");
    }
  }

  TEST_CASE("a torn or bad-CRC last record is a crash mid-append and is ignored") {
    Built b = build(kBody, {kStatuses[0], kStatuses[1]});
    const std::string last = encode_status_record(kStatuses[2]);
    std::string bad_crc = b.bytes + last;
    bad_crc.back() ^= 0x40;
    std::string bad_payload = b.bytes + last;
    bad_payload[b.bytes.size() + 6] ^= 0x01;
    std::string bad_length = b.bytes + last;
    bad_length[b.bytes.size() + 3] ^= 0x01;  // claims one byte more or less
    struct Row {
      const char* name;
      std::string bytes;
    };
    const Row rows[] = {
        {"half a length field", b.bytes + last.substr(0, 2)},
        {"length without payload", b.bytes + last.substr(0, 4)},
        {"payload without CRC", b.bytes + last.substr(0, last.size() - 4)},
        {"CRC cut short", b.bytes + last.substr(0, last.size() - 1)},
        {"bad CRC", bad_crc},
        {"bad payload", bad_payload},
        {"damaged length", bad_length},
        {"zero-filled tail", b.bytes + std::string(24, '\0')},
        {"zero-filled tail, odd size", b.bytes + std::string(13, '\0')},
    };
    for (const Row& row : rows) {
      INFO("row: ", row.name);
      auto parsed = parse_queue_file(row.bytes);
      REQUIRE(parsed.has_value());
      CHECK(parsed->statuses.size() == 2);
      CHECK(parsed->torn_tail);
      CHECK(parsed->valid_length == b.bytes.size());
    }
  }

  TEST_CASE("read_queue_file refuses what is not a regular file") {
    testing::TempSpool spool;
    Built b = build(kBody, {});
    REQUIRE(testing::write_file(spool.path() + "/queue/real", b.bytes));
    REQUIRE(::symlink("real", (spool.path() + "/queue/link").c_str()) == 0);
    REQUIRE(::mkdir((spool.path() + "/queue/dir").c_str(), 0700) == 0);
    struct Row {
      const char* name;
      int want_code;
    };
    const Row rows[] = {{"real", 0}, {"link", ELOOP}, {"dir", EBADMSG}, {"missing", ENOENT}};
    for (const Row& row : rows) {
      INFO("row: ", row.name);
      auto parsed = read_queue_file(spool.queue_fd(), row.name);
      CHECK(parsed.has_value() == (row.want_code == 0));
      if (!parsed) CHECK(parsed.error().code == row.want_code);
    }
  }
}

}  // namespace
}  // namespace tern::spool

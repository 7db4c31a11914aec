// Tests for read_queued_message(): the one-read path for small files and the piecewise path for
// large ones give the same envelope and message, and refuse the same malformed files.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/spool/queue_file.h"
#include "local/queued_message.h"
#include "tests/unit/local/temp_dir.h"

namespace tern::local {
namespace {

using testing::TempDir;

std::string envelope_bytes() {
  proto::Envelope env;
  env.set_queue_id("Q1");
  env.set_sender("alice@example.org");
  env.add_recipients()->set_address("bob@example.net");
  env.set_arrival_time_us(1'700'000'000'000'000);
  return env.SerializeAsString();
}

std::string status_record() {
  proto::RecipientStatus status;
  status.set_index(0);
  status.set_state(proto::STATE_DEFERRED);
  return spool::encode_status_record(status);
}

std::string queue_file(const std::string& body) {
  return spool::encode_queue_file(envelope_bytes(), body) + status_record();
}

std::string write_file(const TempDir& dir, const std::string& name, const std::string& bytes) {
  std::string path = dir.path + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// Both paths: 0 forces the piecewise reader, the default reads small files whole.
const uint64_t kLimits[] = {kWholeFileReadLimit, 0};

TEST_SUITE("local.queued_message") {
  TEST_CASE("small and large files give the envelope and the message, either way") {
    // The body holds the magic and the trailer; the large one is past the one-read limit.
    const std::string small = "Subject: hi\r\n\r\nTERN-END TERNQ001\r\n";
    const std::string large = std::string(kWholeFileReadLimit, 'x') + "\r\n";
    for (const std::string* body : {&small, &large}) {
      for (uint64_t limit : kLimits) {
        INFO("body size ", body->size(), ", limit ", limit);
        TempDir dir;
        auto read = read_queued_message(write_file(dir, "Q1", queue_file(*body)), limit);
        REQUIRE(read);
        CHECK(read->envelope.sender() == "alice@example.org");
        CHECK(read->message() == *body);
      }
    }
  }

  TEST_CASE("malformed files are refused by both paths with EBADMSG") {
    const std::string good = queue_file("body\r\n");
    const std::string header_only = spool::encode_queue_header(6, envelope_bytes());
    std::string bad_crc = status_record();
    bad_crc.back() ^= 1;
    struct Row { const char* name; std::string bytes; };
    const Row rows[] = {
        {"empty", ""},
        {"bad magic", "XERNQ001" + good.substr(8)},
        {"never committed", spool::encode_queue_header(spool::kUncommittedLength, envelope_bytes()) + "body\r\n" +
                                std::string(spool::kQueueFileTrailer)},
        {"no trailer", header_only + "body\r\n"},
        {"bad trailer", header_only + "body\r\nTERN-EN!"},
        {"message overruns", spool::encode_queue_header(600, envelope_bytes()) + "body\r\n" +
                                 std::string(spool::kQueueFileTrailer)},
        {"envelope does not parse", spool::encode_queue_file("\xff\xff\xff\xff", "body\r\n")},
        {"bad record before a good one",
         spool::encode_queue_file(envelope_bytes(), "body\r\n") + bad_crc + status_record()},
    };
    for (const Row& row : rows) {
      for (uint64_t limit : kLimits) {
        INFO("row: ", std::string(row.name), ", limit ", limit);
        TempDir dir;
        auto read = read_queued_message(write_file(dir, "Q1", row.bytes), limit);
        REQUIRE_FALSE(read);
        CHECK(read.error().code == EBADMSG);
        CHECK(read.error().message.find(dir.path + "/Q1") != std::string::npos);
      }
    }
  }

  TEST_CASE("a missing file is ENOENT, a directory is not a queue file, a symlink is not followed") {
    TempDir dir;
    auto missing = read_queued_message(dir.path + "/gone");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == ENOENT);
    ::mkdir((dir.path + "/sub").c_str(), 0700);
    auto directory = read_queued_message(dir.path + "/sub");
    REQUIRE_FALSE(directory);
    CHECK(directory.error().code == EBADMSG);
    std::string target = write_file(dir, "Q1", queue_file("x\r\n"));
    REQUIRE(::symlink(target.c_str(), (dir.path + "/link").c_str()) == 0);
    auto link = read_queued_message(dir.path + "/link");
    REQUIRE_FALSE(link);
    CHECK(link.error().code == ELOOP);
  }
}

}  // namespace
}  // namespace tern::local

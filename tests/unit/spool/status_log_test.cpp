// Tests for durable status appends: order kept, a torn tail from a crash cut off before the
// next append, and files that must not be appended to.
#include <doctest/doctest.h>

#include <cerrno>
#include <string>

#include "common/spool/queue_file.h"
#include "common/spool/queue_writer.h"
#include "common/spool/status_log.h"
#include "tests/unit/spool/spool_test_util.h"

namespace tern::spool {
namespace {

using testing::TempSpool;

constexpr const char* kBody = "Subject: s\r\n\r\nbody\r\n";

std::string queue_message(const TempSpool& spool) {
  testing::FakeClock clock(1'700'000'000'000'000);
  std::string id = QueueIdGenerator(clock, 99).next();
  proto::Envelope env;
  env.set_queue_id(id);
  env.add_recipients()->set_address("a@example.org");
  env.add_recipients()->set_address("b@example.org");
  auto w = QueueFileWriter::create(spool.fd(), id, env);
  if (!w || !w->append(kBody) || !w->commit()) return "";
  return id;
}

proto::RecipientStatus status(uint32_t index, proto::RecipientState state) {
  proto::RecipientStatus s;
  s.set_index(index);
  s.set_state(state);
  s.set_attempts(1);
  return s;
}

ParsedQueueFile parse_on_disk(const TempSpool& spool, const std::string& id) {
  auto parsed = read_queue_file(spool.queue_fd(), id);
  REQUIRE(parsed.has_value());
  return std::move(*parsed);
}

TEST_SUITE("spool.status_log") {
  TEST_CASE("statuses are appended in order, the message untouched") {
    TempSpool spool;
    std::string id = queue_message(spool);
    REQUIRE_FALSE(id.empty());
    const proto::RecipientStatus want[] = {status(0, proto::STATE_DEFERRED),
                                           status(1, proto::STATE_DELIVERED),
                                           status(0, proto::STATE_PENDING),  // empty payload
                                           status(0, proto::STATE_BOUNCED)};
    for (const auto& s : want) REQUIRE(append_status(spool.queue_fd(), id, s).has_value());
    ParsedQueueFile parsed = parse_on_disk(spool, id);
    REQUIRE(parsed.statuses.size() == 4);
    for (size_t i = 0; i < 4; ++i) {
      INFO("status #", i);
      CHECK(parsed.statuses[i].SerializeAsString() == want[i].SerializeAsString());
    }
    CHECK_FALSE(parsed.torn_tail);
    std::string bytes = testing::read_file(spool.path() + "/queue/" + id);
    CHECK(bytes.substr(parsed.message_offset, parsed.message_length) == kBody);
  }

  TEST_CASE("a torn record left by a crash is cut off before the next append") {
    const std::string record = encode_status_record(status(1, proto::STATE_DELIVERED));
    struct Row {
      const char* name;
      std::string tail;
    };
    const Row rows[] = {
        {"half a record", record.substr(0, record.size() / 2)},
        {"all but the CRC's last byte", record.substr(0, record.size() - 1)},
        {"zeros", std::string(20, '\0')},
    };
    for (const Row& row : rows) {
      INFO("row: ", row.name);
      TempSpool spool;
      std::string id = queue_message(spool);
      REQUIRE(append_status(spool.queue_fd(), id, status(0, proto::STATE_DEFERRED)).has_value());
      const std::string path = spool.path() + "/queue/" + id;
      REQUIRE(testing::write_file(path, testing::read_file(path) + row.tail));
      REQUIRE(parse_on_disk(spool, id).torn_tail);

      REQUIRE(append_status(spool.queue_fd(), id, status(0, proto::STATE_DELIVERED)).has_value());
      ParsedQueueFile parsed = parse_on_disk(spool, id);
      CHECK_FALSE(parsed.torn_tail);
      REQUIRE(parsed.statuses.size() == 2);
      CHECK(parsed.statuses[0].state() == proto::STATE_DEFERRED);
      CHECK(parsed.statuses[1].state() == proto::STATE_DELIVERED);
    }
  }

  TEST_CASE("nothing is appended to a file that is not a queue file") {
    TempSpool spool;
    std::string id = queue_message(spool);
    const std::string path = spool.path() + "/queue/" + id;
    const std::string whole = testing::read_file(path);
    const std::string cut = whole.substr(0, whole.size() - 1);  // no trailer
    REQUIRE(testing::write_file(path, cut));
    auto r = append_status(spool.queue_fd(), id, status(0, proto::STATE_DELIVERED));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == EBADMSG);
    CHECK(testing::read_file(path) == cut);

    struct Row {
      const char* name;
      std::string id;
      int want_code;
    };
    const Row rows[] = {{"path trick", "../incoming/x", EINVAL},
                        {"empty", "", EINVAL},
                        {"missing", std::string(kQueueIdLength, '0'), ENOENT}};
    for (const Row& row : rows) {
      INFO("row: ", row.name);
      auto bad = append_status(spool.queue_fd(), row.id, status(0, proto::STATE_DELIVERED));
      REQUIRE_FALSE(bad.has_value());
      CHECK(bad.error().code == row.want_code);
    }
  }
}

}  // namespace
}  // namespace tern::spool

// Tests for rebuilding a message's recipient states from its status records: crash recovery
// is re-reading them, final states stick, expansions add recipients, notices are remembered.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "qmgr/queue_state.h"

namespace tern::qmgr {
namespace {

proto::RecipientStatus st(uint32_t index, proto::RecipientState state, int64_t retry = 0) {
  proto::RecipientStatus s;
  s.set_index(index);
  s.set_state(state);
  s.set_retry_after_us(retry);
  return s;
}

spool::ParsedQueueFile file(int recipients, std::vector<proto::RecipientStatus> statuses) {
  spool::ParsedQueueFile f;
  for (int i = 0; i < recipients; ++i)
    f.envelope.add_recipients()->set_address("r" + std::to_string(i) + "@example.org");
  f.statuses = std::move(statuses);
  return f;
}

std::vector<proto::RecipientState> states(const MessageState& m) {
  std::vector<proto::RecipientState> out;
  for (const auto& r : m.recipients) out.push_back(r.state);
  return out;
}

TEST_SUITE("qmgr.queue_state") {
  TEST_CASE("states rebuilt from the status records") {
    using enum proto::RecipientState;
    struct Row {
      const char* name;
      int recipients;
      std::vector<proto::RecipientStatus> statuses;
      std::vector<proto::RecipientState> want;
      bool pending;
      int ignored;
    };
    const Row rows[] = {
        {"fresh message", 2, {}, {STATE_PENDING, STATE_PENDING}, true, 0},
        {"one delivered, one deferred", 2, {st(0, STATE_DELIVERED), st(1, STATE_DEFERRED, 5)},
         {STATE_DELIVERED, STATE_DEFERRED}, true, 0},
        {"deferred then delivered", 1, {st(0, STATE_DEFERRED), st(0, STATE_DELIVERED)},
         {STATE_DELIVERED}, false, 0},
        {"a final state is never undone", 1, {st(0, STATE_DELIVERED), st(0, STATE_DEFERRED)},
         {STATE_DELIVERED}, false, 1},
        {"bounced is final", 2, {st(0, STATE_BOUNCED), st(1, STATE_DELIVERED)},
         {STATE_BOUNCED, STATE_DELIVERED}, false, 0},
        {"an index out of range is ignored", 1, {st(7, STATE_DELIVERED)}, {STATE_PENDING}, true, 1},
    };
    for (const auto& row : rows) {
      INFO(row.name);
      MessageState m = rebuild_state(file(row.recipients, row.statuses));
      CHECK(states(m) == row.want);
      CHECK(m.has_pending() == row.pending);
      CHECK(m.ignored_records == row.ignored);
    }
  }

  TEST_CASE("an expansion adds recipients at the next free indices, each with its own status") {
    auto expanded = st(0, proto::STATE_EXPANDED);
    expanded.add_added()->set_address("x@example.org");
    expanded.add_added()->set_address("y@example.org");
    MessageState m = rebuild_state(
        file(2, {expanded, st(1, proto::STATE_DELIVERED), st(3, proto::STATE_DELIVERED)}));
    REQUIRE(m.recipients.size() == 4);
    CHECK(m.recipients[2].recipient.address() == "x@example.org");
    CHECK(m.recipients[2].added);
    CHECK(m.recipients[2].state == proto::STATE_PENDING);
    CHECK(m.recipients[3].state == proto::STATE_DELIVERED);
    CHECK(m.pending_count() == 1);
  }

  TEST_CASE("the next attempt is the earliest retry time of a pending recipient") {
    MessageState m = rebuild_state(file(3, {st(0, proto::STATE_DEFERRED, 500),
                                            st(1, proto::STATE_DEFERRED, 300),
                                            st(2, proto::STATE_DELIVERED)}));
    CHECK(m.next_attempt_us() == 300);
    m = rebuild_state(file(2, {st(0, proto::STATE_DEFERRED, 500)}));
    CHECK(m.next_attempt_us() == 0);  // recipient 1 was never tried
  }

  TEST_CASE("notice records mark what was notified and change no state") {
    proto::RecipientStatus notice;
    notice.set_index(0);
    notice.set_notice(kNotifyFailure);
    notice.set_notice_queue_id("0123456789ABCDEF");
    MessageState m = rebuild_state(file(1, {st(0, proto::STATE_BOUNCED), notice}));
    CHECK(m.recipients[0].state == proto::STATE_BOUNCED);
    CHECK(m.recipients[0].notices == kNotifyFailure);
  }

  TEST_CASE("NOTIFY decides which notices a recipient wants") {
    struct Row { uint32_t notify; uint32_t kind; bool want; };
    const Row rows[] = {
        {0, kNotifyFailure, true}, {0, kNotifyDelay, true}, {0, kNotifySuccess, false},
        {kNotifySuccess, kNotifySuccess, true}, {kNotifySuccess, kNotifyFailure, false},
        {kNotifyNever, kNotifyFailure, false}, {kNotifyFailure | kNotifyDelay, kNotifyDelay, true},
    };
    for (const auto& row : rows) {
      INFO("notify ", row.notify, " kind ", row.kind);
      proto::Recipient r;
      r.set_notify(row.notify);
      CHECK(MessageState::wants(r, row.kind) == row.want);
    }
  }
}

}  // namespace
}  // namespace tern::qmgr

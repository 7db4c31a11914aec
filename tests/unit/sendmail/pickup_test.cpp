// The maildrop round trip: sendmail's write_maildrop() file, picked up by qmgr's
// pickup_maildrop() into queue/ with the owner's uid; bad files go to corrupt/.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/spool/file_io.h"
#include "common/spool/layout.h"
#include "common/spool/queue_file.h"
#include "common/spool/queue_id.h"
#include "common/spool/spool_scan.h"
#include "ctl/commands/sendmail_maildrop.h"
#include "qmgr/pickup.h"

namespace fs = std::filesystem;
using namespace tern;

namespace {

struct TempSpool {
  fs::path root;
  spool::UniqueFd fd;
  TempSpool() {
    std::string templ = (fs::temp_directory_path() / "tern-pickup-XXXXXX").string();
    root = ::mkdtemp(templ.data());
    REQUIRE(spool::create_spool_tree((root / "spool").string(), 0, 0, false).has_value());
    fd = std::move(*spool::open_directory(AT_FDCWD, (root / "spool").string()));
  }
  ~TempSpool() { fs::remove_all(root); }
  std::vector<std::string> names(const char* dir) const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(root / "spool" / dir)) out.push_back(e.path().filename());
    return out;
  }
};

proto::Envelope envelope(std::string sender, std::vector<std::string> rcpts) {
  proto::Envelope e;
  e.set_sender(std::move(sender));
  for (auto& r : rcpts) e.add_recipients()->set_address(r);
  e.mutable_client()->set_local_uid(0);  // a lie: pickup must use the file's owner
  return e;
}

}  // namespace

TEST_SUITE("sendmail.pickup") {
  TEST_CASE("a maildrop file is queued with the owner's uid and then removed") {
    TempSpool t;
    auto name = ctl::write_maildrop((t.root / "spool").string(), envelope("joe@x.test", {"a@y.test"}),
                                    "Subject: s\r\n\r\nbody\r\n");
    REQUIRE(name.has_value());
    CHECK(name->size() == 32);
    spool::SystemClock clock;
    spool::QueueIdGenerator ids(clock, ::getpid());
    qmgr::PickupSettings settings;
    settings.myhostname = "host.test";
    auto result = qmgr::pickup_maildrop(t.fd.get(), ids, clock, settings);
    REQUIRE(result.queued.size() == 1);
    CHECK(result.corrupt == 0);
    CHECK(t.names("maildrop").empty());
    std::ifstream in(t.root / "spool" / "queue" / result.queued[0], std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto parsed = spool::parse_queue_file(bytes);
    REQUIRE(parsed.has_value());
    const auto& e = parsed->envelope;
    CHECK(e.queue_id() == result.queued[0]);
    CHECK(e.sender() == "joe@x.test");
    CHECK(e.client().protocol() == "LOCAL");
    CHECK(e.client().local_uid() == static_cast<int64_t>(::getuid()));
    std::string message = bytes.substr(parsed->message_offset, parsed->message_length);
    CHECK(message.starts_with("Received: by host.test (Tern, from userid " + std::to_string(::getuid()) +
                              ")\r\n\tid " + e.queue_id() + "\r\n\tfor <a@y.test>; "));
    CHECK(message.ends_with("\r\nSubject: s\r\n\r\nbody\r\n"));
  }

  TEST_CASE("bad files go to corrupt/ and good ones still get queued") {
    TempSpool t;
    fs::path drop = t.root / "spool" / "maildrop";
    struct Row {
      const char* name;
      std::string bytes;
    };
    std::string no_trailer = spool::encode_queue_header(4, envelope("a@b.test", {"c@d.test"}).SerializeAsString()) + "body";
    std::string bad_rcpt;
    {
      std::string env = envelope("a@b.test", {"c@d.test>\r\nRCPT TO:<e@f.test"}).SerializeAsString();
      bad_rcpt = spool::encode_queue_file(env, "body");
    }
    std::string no_rcpt = spool::encode_queue_file(envelope("a@b.test", {}).SerializeAsString(), "body");
    const Row rows[] = {
        {"00000000000000000000000000000000", "garbage"},
        {"11111111111111111111111111111111", no_trailer},
        {"22222222222222222222222222222222", bad_rcpt},
        {"33333333333333333333333333333333", no_rcpt},
        {"44444444444444444444444444444444", std::string(5000, 'x')},
    };
    for (const auto& row : rows) {
      std::ofstream(drop / row.name, std::ios::binary) << row.bytes;
    }
    std::ofstream(drop / "weird name", std::ios::binary) << "x";
    fs::create_symlink("/etc/passwd", drop / "55555555555555555555555555555555");
    std::ofstream(drop / "tmp.66666666666666666666666666666666", std::ios::binary) << "being written";
    REQUIRE(ctl::write_maildrop((t.root / "spool").string(), envelope("", {"a@y.test"}), "x\r\n").has_value());

    spool::SystemClock clock;
    spool::QueueIdGenerator ids(clock, ::getpid());
    qmgr::PickupSettings settings;
    settings.myhostname = "host.test";
    settings.message_size_limit = 1000;
    auto result = qmgr::pickup_maildrop(t.fd.get(), ids, clock, settings);
    CHECK(result.queued.size() == 1);  // the null-sender message
    CHECK(result.corrupt == 7);
    CHECK(t.names("maildrop") == std::vector<std::string>{"tmp.66666666666666666666666666666666"});
    CHECK(t.names("corrupt").size() == 7);
    CHECK(fs::exists("/etc/passwd"));
  }

  TEST_CASE("max_files bounds one call") {
    TempSpool t;
    for (int i = 0; i < 3; ++i)
      REQUIRE(ctl::write_maildrop((t.root / "spool").string(), envelope("a@b.test", {"c@d.test"}), "x\r\n"));
    spool::SystemClock clock;
    spool::QueueIdGenerator ids(clock, ::getpid());
    qmgr::PickupSettings settings;
    settings.max_files = 2;
    auto first = qmgr::pickup_maildrop(t.fd.get(), ids, clock, settings);
    CHECK(first.queued.size() == 2);
    CHECK(first.more);
    auto second = qmgr::pickup_maildrop(t.fd.get(), ids, clock, settings);
    CHECK(second.queued.size() == 1);
    CHECK_FALSE(second.more);
  }
}

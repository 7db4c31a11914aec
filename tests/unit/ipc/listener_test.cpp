// ipc.channel (sockets by path): PeerPolicy, listen_unix, Listener, connect_unix and
// blocking_call.
#include <doctest/doctest.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "common/ipc/blocking_client.h"
#include "common/ipc/connect.h"
#include "common/ipc/listener.h"
#include "common/ipc/rpc_server.h"
#include "control.pb.h"
#include "tests/unit/ipc/test_loop.h"

namespace tern::ipc {
namespace {

using testing::run_for;
using testing::run_until;
using testing::TempDir;

}  // namespace

TEST_SUITE("ipc.channel") {
  TEST_CASE("PeerPolicy allows root, the tern user and ourselves") {
    const PeerPolicy trusted{.allow_any = false, .tern_uid = 107, .self_uid = 1000};
    const PeerPolicy no_tern{.allow_any = false, .tern_uid = kNoUid, .self_uid = 1000};
    struct Row {
      const char* name;
      PeerPolicy policy;
      uid_t uid;
      bool want;
    };
    const std::vector<Row> rows = {
        {"root", trusted, 0, true},
        {"tern", trusted, 107, true},
        {"self", trusted, 1000, true},
        {"another user", trusted, 1001, false},
        {"nobody", trusted, 65534, false},
        {"unknown uid never matches an unset tern_uid", no_tern, kNoUid, false},
        {"another user, no tern user", no_tern, 107, false},
        {"any: another user", PeerPolicy::any(), 1001, true},
        {"any: nobody", PeerPolicy::any(), 65534, true},
    };
    for (const Row& row : rows) {
      INFO("row: ", row.name);
      CHECK(row.policy.allows(row.uid) == row.want);
    }
    CHECK(PeerPolicy::trusted(107).self_uid == geteuid());
  }

  TEST_CASE("listen_unix makes a socket with the mode asked for, replacing a stale one") {
    TempDir dir;
    const std::string path = dir.file("lookup");
    auto fd = listen_unix(path, 0600, kNoUid, kNoGid);
    REQUIRE(fd.has_value());
    struct stat st{};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    CHECK(S_ISSOCK(st.st_mode));
    CHECK((st.st_mode & 07777) == 0600);

    // While it listens, a second listen_unix refuses to steal it.
    auto second = listen_unix(path, 0600, kNoUid, kNoGid);
    REQUIRE_FALSE(second.has_value());
    CHECK(second.error().code == EADDRINUSE);

    // Once its owner is gone the file is stale and is replaced.
    ::close(*fd);
    auto third = listen_unix(path, 0660, kNoUid, kNoGid);
    REQUIRE(third.has_value());
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0660);
    ::close(*third);
  }

  TEST_CASE("listen_unix refuses to remove a file that is not a socket") {
    TempDir dir;
    const std::string path = dir.file("notasocket");
    std::ofstream(path) << "precious";
    auto fd = listen_unix(path, 0600, kNoUid, kNoGid);
    REQUIRE_FALSE(fd.has_value());
    CHECK(fd.error().code == EEXIST);
    std::ifstream in(path);
    std::string content;
    in >> content;
    CHECK(content == "precious");
  }

  TEST_CASE("connect_unix: errors name the cause") {
    TempDir dir;
    auto missing = connect_unix(dir.file("nothing"));
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().code == ENOENT);
    auto too_long = connect_unix("/tmp/" + std::string(200, 'x'));
    REQUIRE_FALSE(too_long.has_value());
    CHECK(too_long.error().code == ENAMETOOLONG);
  }

  TEST_CASE("Listener hands allowed peers over as channels") {
    uv::Loop loop;
    TempDir dir;
    auto fd = listen_unix(dir.file("s"), 0600, kNoUid, kNoGid);
    REQUIRE(fd.has_value());
    std::vector<std::unique_ptr<Channel>> accepted;
    auto listener = Listener::adopt(loop.get(), *fd, PeerPolicy::trusted(kNoUid), "test",
                                    [&](std::unique_ptr<Channel> ch) {
                                      accepted.push_back(std::move(ch));
                                    });
    REQUIRE(listener.has_value());
    auto c1 = connect_unix(dir.file("s"));
    auto c2 = connect_unix(dir.file("s"));
    REQUIRE(c1.has_value());
    REQUIRE(c2.has_value());
    REQUIRE(run_until(loop, [&] { return accepted.size() == 2; }));
    CHECK(accepted[0]->peer_uid() == geteuid());
    CHECK(accepted[0]->peer_pid() == getpid());
    CHECK((*listener)->accepted() == 2);
    CHECK((*listener)->rejected() == 0);
    ::close(*c1);
    ::close(*c2);
  }

  TEST_CASE("Listener rejects a peer whose uid the policy does not allow") {
    // As root, a child that became "nobody" connects to a trusted-only socket; as any other
    // user, the policy names two other uids. Either way the peer's uid is not allowed.
    const bool root = geteuid() == 0;
    const uid_t nobody = 65534;
    const PeerPolicy policy =
        root ? PeerPolicy::trusted(kNoUid)
             : PeerPolicy{.allow_any = false, .tern_uid = geteuid() + 1, .self_uid = geteuid() + 2};
    uv::Loop loop;
    TempDir dir;
    REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);
    const std::string path = dir.file("s");
    auto fd = listen_unix(path, 0666, kNoUid, kNoGid);
    REQUIRE(fd.has_value());
    int handed_over = 0;
    auto listener = Listener::adopt(loop.get(), *fd, policy, "test",
                                    [&](std::unique_ptr<Channel>) { ++handed_over; });
    REQUIRE(listener.has_value());

    // The child reports through a pipe, not its exit status (which valgrind may replace).
    int report[2];
    REQUIRE(::pipe(report) == 0);
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      char verdict = 'e';  // e: could not become nobody or connect; t: no EOF in time
      if (!root || (::setgid(nobody) == 0 && ::setuid(nobody) == 0)) {
        if (auto client = connect_unix(path)) {
          pollfd p{.fd = *client, .events = POLLIN, .revents = 0};
          char c;
          verdict = ::poll(&p, 1, 4000) == 1 && ::read(*client, &c, 1) == 0 ? 'C' : 't';
        }
      }
      [[maybe_unused]] ssize_t n = ::write(report[1], &verdict, 1);
      ::_exit(0);
    }
    ::close(report[1]);
    REQUIRE(run_until(loop, [&] { return (*listener)->rejected() == 1; }));
    CHECK(handed_over == 0);
    char verdict = '?';
    CHECK(::read(report[0], &verdict, 1) == 1);
    CHECK(verdict == 'C');  // the rejected client saw the connection closed
    ::close(report[0]);
    ::waitpid(child, nullptr, 0);
  }

  TEST_CASE("the accept callback may destroy the Listener") {
    uv::Loop loop;
    TempDir dir;
    auto fd = listen_unix(dir.file("s"), 0600, kNoUid, kNoGid);
    REQUIRE(fd.has_value());
    std::unique_ptr<Listener> listener;
    std::unique_ptr<Channel> accepted;
    auto made = Listener::adopt(loop.get(), *fd, PeerPolicy::any(), "test",
                                [&](std::unique_ptr<Channel> ch) {
                                  accepted = std::move(ch);
                                  listener.reset();
                                });
    REQUIRE(made.has_value());
    listener = std::move(*made);
    auto c1 = connect_unix(dir.file("s"));
    auto c2 = connect_unix(dir.file("s"));  // waits in the backlog, never accepted
    REQUIRE(run_until(loop, [&] { return listener == nullptr; }));
    run_for(loop, 10);
    CHECK(accepted != nullptr);
    ::close(*c1);
    ::close(*c2);
  }
}

TEST_SUITE("ipc.channel") {
  TEST_CASE("blocking_call: one request, one reply; errors for no server and no answer") {
    // The server runs in a child process with its own loop: blocking_call blocks this one.
    TempDir dir;
    const std::string path = dir.file("control");
    auto fd = listen_unix(path, 0600, kNoUid, kNoGid);
    REQUIRE(fd.has_value());
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      uv::Loop loop;
      std::unique_ptr<RpcServer<proto::ControlRequest>> server;
      server = std::make_unique<RpcServer<proto::ControlRequest>>(
          loop.get(), "control", [&](const Peer& peer, proto::ControlRequest request) {
            if (request.has_stop()) return;  // never answered: the caller times out
            proto::ControlReply reply;
            reply.set_id(request.id());
            reply.set_ok(true);
            reply.set_master_pid(getpid());
            server->reply(peer.conn_id, reply);
          });
      if (!server->listen(*fd, PeerPolicy::trusted(kNoUid))) ::_exit(2);
      uv::Timer limit(loop.get());
      limit.start(5000, [&] { loop.stop(); });
      loop.run();
      ::_exit(0);
    }
    ::close(*fd);

    proto::ControlRequest request;
    request.set_id(77);
    request.mutable_status();
    auto reply = blocking_call_as<proto::ControlReply>(path, request, 2000);
    REQUIRE(reply.has_value());
    CHECK(reply->id() == 77);
    CHECK(reply->master_pid() == child);

    proto::ControlRequest stop;
    stop.set_id(78);
    stop.mutable_stop();
    auto timed_out = blocking_call(path, stop, 100);
    REQUIRE_FALSE(timed_out.has_value());
    CHECK(timed_out.error().code == ETIMEDOUT);

    ::kill(child, SIGKILL);  // not SIGTERM: the child inherited doctest's signal handlers
    int status = 0;
    ::waitpid(child, &status, 0);

    auto no_server = blocking_call(path, request, 500);
    REQUIRE_FALSE(no_server.has_value());
    CHECK(no_server.error().code == ECONNREFUSED);
    auto no_socket = blocking_call(dir.file("missing"), request, 500);
    REQUIRE_FALSE(no_socket.has_value());
    CHECK(no_socket.error().code == ENOENT);
  }
}

}  // namespace tern::ipc

// ipc.channel (RPC part): RpcClient and RpcServer over real unix sockets on a real loop;
// ipc.framing: a frame that is not the server's request type closes that peer.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/ipc/listener.h"
#include "common/ipc/rpc_client.h"
#include "common/ipc/rpc_server.h"
#include "control.pb.h"
#include "tests/unit/ipc/test_loop.h"

namespace tern::ipc {
namespace {

using testing::run_for;
using testing::run_until;
using testing::socket_pair;
using testing::TempDir;
using testing::write_raw;
using Client = RpcClient<proto::ControlRequest, proto::ControlReply>;

// A control server on a socket path that records requests and, when told to, answers them.
struct ControlServer {
  std::unique_ptr<RpcServer<proto::ControlRequest>> server;
  std::vector<std::pair<Peer, proto::ControlRequest>> requests;
  bool auto_reply = true;

  ControlServer(uv::Loop& loop, const std::string& path) {
    server = std::make_unique<RpcServer<proto::ControlRequest>>(
        loop.get(), "control", [this](const Peer& peer, proto::ControlRequest request) {
          requests.emplace_back(peer, request);
          if (auto_reply) answer(peer.conn_id, request.id());
        });
    auto fd = listen_unix(path, 0600, kNoUid, kNoGid);
    REQUIRE(fd.has_value());
    REQUIRE(server->listen(*fd, PeerPolicy::trusted(kNoUid)).has_value());
  }

  bool answer(uint64_t conn_id, uint64_t id) {
    proto::ControlReply reply;
    reply.set_id(id);
    reply.set_ok(true);
    reply.set_master_pid(4242);
    return server->reply(conn_id, reply);
  }
};

proto::ControlRequest status_request() {
  proto::ControlRequest request;
  request.mutable_status();
  return request;
}

// Collects the outcomes of calls.
struct Outcomes {
  std::vector<Result<proto::ControlReply>> results;
  Client::Callback collect() {
    return [this](Result<proto::ControlReply> r) { results.push_back(std::move(r)); };
  }
};

}  // namespace

TEST_SUITE("ipc.channel") {
  TEST_CASE("RpcClient and RpcServer: replies are matched to calls by id") {
    uv::Loop loop;
    TempDir dir;
    ControlServer server(loop, dir.file("control"));
    Client client(loop.get(), dir.file("control"), "master");
    Outcomes out;
    for (int i = 0; i < 3; ++i) client.call(status_request(), 1000, out.collect());
    CHECK(out.results.empty());  // never synchronously from inside call()
    CHECK(client.pending() == 3);
    REQUIRE(run_until(loop, [&] { return out.results.size() == 3; }));
    for (size_t i = 0; i < 3; ++i) {
      INFO("call ", i);
      REQUIRE(out.results[i].has_value());
      CHECK(out.results[i]->master_pid() == 4242);
      CHECK(out.results[i]->id() == server.requests[i].second.id());
    }
    CHECK(server.requests[0].second.id() != server.requests[1].second.id());
    CHECK(server.requests[0].first.uid == geteuid());
    CHECK(server.requests[0].first.pid == getpid());
    CHECK(client.pending() == 0);
    CHECK(client.connected());
  }

  TEST_CASE("RpcClient: a call without a reply times out; the late reply is dropped") {
    uv::Loop loop;
    TempDir dir;
    ControlServer server(loop, dir.file("control"));
    server.auto_reply = false;
    Client client(loop.get(), dir.file("control"), "master");
    Outcomes out;
    client.call(status_request(), 50, out.collect());
    REQUIRE(run_until(loop, [&] { return out.results.size() == 1; }));
    REQUIRE_FALSE(out.results[0].has_value());
    CHECK(out.results[0].error().code == ETIMEDOUT);
    CHECK(client.pending() == 0);

    // The reply arrives after all: unknown id now, logged and dropped.
    REQUIRE(server.requests.size() == 1);
    CHECK(server.answer(server.requests[0].first.conn_id, server.requests[0].second.id()));
    run_for(loop, 50);
    CHECK(out.results.size() == 1);
    CHECK(client.connected());

    // The connection is still good.
    server.auto_reply = true;
    client.call(status_request(), 1000, out.collect());
    REQUIRE(run_until(loop, [&] { return out.results.size() == 2; }));
    CHECK(out.results[1].has_value());
  }

  TEST_CASE("RpcClient: pending calls fail when the server dies") {
    uv::Loop loop;
    TempDir dir;
    auto server = std::make_unique<ControlServer>(loop, dir.file("control"));
    server->auto_reply = false;
    Client client(loop.get(), dir.file("control"), "master");
    Outcomes out;
    for (int i = 0; i < 3; ++i) client.call(status_request(), 4000, out.collect());
    REQUIRE(run_until(loop, [&] { return server->requests.size() == 3; }));
    server.reset();  // closes every connection
    REQUIRE(run_until(loop, [&] { return out.results.size() == 3; }, 1000));  // before timeouts
    for (auto& r : out.results) {
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().code == ECONNRESET);
      CHECK(r.error().message.find("master") != std::string::npos);
    }
    CHECK_FALSE(client.connected());
    CHECK(client.pending() == 0);
  }

  TEST_CASE("RpcClient: a reply with an unknown id is dropped, the right one is delivered") {
    uv::Loop loop;
    TempDir dir;
    // A hand-made server that answers every request twice: first with a wrong id.
    std::vector<std::unique_ptr<Channel>> peers;
    auto fd = listen_unix(dir.file("control"), 0600, kNoUid, kNoGid);
    REQUIRE(fd.has_value());
    auto listener = Listener::adopt(loop.get(), *fd, PeerPolicy::any(), "test",
                                    [&](std::unique_ptr<Channel> ch) {
      Channel* raw = ch.get();
      raw->set_handlers([raw](std::string_view payload) {
        proto::ControlRequest request;
        REQUIRE(request.ParseFromString(std::string(payload)));
        proto::ControlReply reply;
        reply.set_id(request.id() + 1000);
        reply.set_error("wrong");
        raw->send(reply);
        reply.set_id(request.id());
        reply.set_error("right");
        raw->send(reply);
      }, [](std::string_view) {});
      peers.push_back(std::move(ch));
    });
    REQUIRE(listener.has_value());

    Client client(loop.get(), dir.file("control"), "master");
    Outcomes out;
    client.call(status_request(), 1000, out.collect());
    REQUIRE(run_until(loop, [&] { return out.results.size() == 1; }));
    run_for(loop, 30);
    REQUIRE(out.results.size() == 1);
    REQUIRE(out.results[0].has_value());
    CHECK(out.results[0]->error() == "right");
    CHECK((*listener)->accepted() == 1);
  }

  TEST_CASE("RpcClient: a failed connect fails the call later, backs off, then reconnects") {
    uv::Loop loop;
    TempDir dir;
    Client client(loop.get(), dir.file("control"), "master");
    Outcomes out;
    client.call(status_request(), 1000, out.collect());
    CHECK(out.results.empty());
    REQUIRE(run_until(loop, [&] { return out.results.size() == 1; }));
    REQUIRE_FALSE(out.results[0].has_value());
    CHECK(out.results[0].error().code == ENOENT);

    // Within the back-off: no attempt, the same error.
    client.call(status_request(), 1000, out.collect());
    CHECK(out.results.size() == 1);
    REQUIRE(run_until(loop, [&] { return out.results.size() == 2; }));
    REQUIRE_FALSE(out.results[1].has_value());
    CHECK(out.results[1].error().message.find("next attempt") != std::string::npos);

    ControlServer server(loop, dir.file("control"));
    run_for(loop, RpcClientCore::kMinBackoffMs + 20);
    client.call(status_request(), 1000, out.collect());
    REQUIRE(run_until(loop, [&] { return out.results.size() == 3; }));
    CHECK(out.results[2].has_value());
  }

  TEST_CASE("RpcClient reconnects on the next call after the server restarts") {
    uv::Loop loop;
    TempDir dir;
    auto server = std::make_unique<ControlServer>(loop, dir.file("control"));
    Client client(loop.get(), dir.file("control"), "master");
    Outcomes out;
    client.call(status_request(), 1000, out.collect());
    REQUIRE(run_until(loop, [&] { return out.results.size() == 1; }));
    CHECK(out.results[0].has_value());

    server.reset();
    REQUIRE(run_until(loop, [&] { return !client.connected(); }));
    server = std::make_unique<ControlServer>(loop, dir.file("control"));  // stale file replaced
    client.call(status_request(), 1000, out.collect());
    REQUIRE(run_until(loop, [&] { return out.results.size() == 2; }));
    CHECK(out.results[1].has_value());
  }

  TEST_CASE("RpcClient: a callback may destroy the client") {
    uv::Loop loop;
    TempDir dir;
    auto server = std::make_unique<ControlServer>(loop, dir.file("control"));
    server->auto_reply = false;
    auto client = std::make_unique<Client>(loop.get(), dir.file("control"), "master");
    int calls = 0;
    for (int i = 0; i < 2; ++i) {
      client->call(status_request(), 4000, [&](Result<proto::ControlReply>) {
        ++calls;
        client.reset();
      });
    }
    REQUIRE(run_until(loop, [&] { return server->requests.size() == 2; }));
    server.reset();
    REQUIRE(run_until(loop, [&] { return calls == 2; }));  // both run, neither lost
    CHECK(client == nullptr);
  }

  TEST_CASE("RpcServer: a reply to a peer that went away is dropped") {
    uv::Loop loop;
    TempDir dir;
    ControlServer server(loop, dir.file("control"));
    server.auto_reply = false;
    auto client = std::make_unique<Client>(loop.get(), dir.file("control"), "master");
    client->call(status_request(), 4000, [](Result<proto::ControlReply>) {});
    REQUIRE(run_until(loop, [&] { return server.requests.size() == 1; }));
    client.reset();
    REQUIRE(run_until(loop, [&] { return server.server->connection_count() == 0; }));
    CHECK_FALSE(server.answer(server.requests[0].first.conn_id, server.requests[0].second.id()));
  }
}

TEST_SUITE("ipc.framing") {
  TEST_CASE("a frame that is not the server's request type closes that peer only") {
    const std::vector<std::pair<const char*, std::string>> rows = {
        {"invalid wire type", "\x0f"},
        {"truncated varint", "\x08"},
        {"length past the end", "\x12\x05" "ab"},
        {"overlong tag varint", std::string(11, '\xff')},
    };
    for (const auto& [name, payload] : rows) {
      INFO("row: ", name);
      uv::Loop loop;
      int handled = 0;
      RpcServer<proto::ControlRequest> server(
          loop.get(), "control", [&](const Peer&, proto::ControlRequest) { ++handled; });
      auto [bad_fd, bad_raw] = socket_pair();
      auto [good_fd, good_raw] = socket_pair();
      auto bad = Channel::adopt(loop.get(), bad_fd);
      auto good = Channel::adopt(loop.get(), good_fd);
      REQUIRE(bad.has_value());
      REQUIRE(good.has_value());
      server.add(std::move(*bad));
      server.add(std::move(*good));
      auto h = frame_header(static_cast<uint32_t>(payload.size()));
      write_raw(bad_raw, std::string(h.begin(), h.end()) + payload);
      REQUIRE(run_until(loop, [&] { return server.connection_count() == 1; }));
      CHECK(handled == 0);
      char c;
      CHECK(::read(bad_raw, &c, 1) == 0);  // the bad peer sees EOF

      proto::ControlRequest request;
      request.set_id(5);
      write_raw(good_raw, *encode_frame(request));
      REQUIRE(run_until(loop, [&] { return handled == 1; }));
      CHECK(server.connection_count() == 1);
      ::close(bad_raw);
      ::close(good_raw);
    }
  }
}

}  // namespace tern::ipc

// local_deliver: a test tool that drives the `local` delivery agent directly, as qmgr would.
// Unless -q names a message already queued, it writes the message from standard input into
// SPOOL_DIR/queue through spool::QueueFileWriter (without waking qmgr), then sends one
// DeliveryRequest over SPOOL_DIR/private/local with ipc::blocking_call and prints the reply:
//
//   local_deliver SPOOL_DIR [-f SENDER] [-q QUEUE_ID] [-t TIMEOUT_S] RECIPIENT...
//   RECIPIENT: INDEX,ADDRESS,MAILBOX          a local user (MAILBOX: user name)
//              v:INDEX,ADDRESS,MAILBOX        a virtual mailbox (path under virtual_mailbox_base)
//   output:    queue_id ID
//              result INDEX OUTCOME DSN DIAGNOSTIC      (tab separated, one per recipient)
//              expanded INDEX ADDRESS
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "common/ipc/blocking_client.h"
#include "common/spool/file_io.h"
#include "common/spool/queue_id.h"
#include "common/spool/queue_writer.h"
#include "delivery.pb.h"
#include "tests/integration/queue_message.h"

namespace {

int usage() {
  std::fprintf(stderr, "usage: local_deliver SPOOL_DIR [-f SENDER] [-q QUEUE_ID] [-t TIMEOUT_S] "
                       "[v:]INDEX,ADDRESS,MAILBOX...\n");
  return 64;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tern;
  if (argc < 3) return usage();
  std::string spool = argv[1];
  std::string sender, queue_id;
  int timeout_s = 60;
  int i = 2;
  for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "-f") sender = value;
    else if (flag == "-q") queue_id = value;
    else if (flag == "-t") timeout_s = std::stoi(value);
    else return usage();
  }
  if (i >= argc) return usage();
  proto::DeliveryRequest request;
  request.set_id(42);
  request.set_sender(sender);
  request.set_transport("local");
  for (; i < argc; ++i) {
    std::string spec = argv[i];
    bool is_virtual = spec.starts_with("v:");
    if (is_virtual) spec.erase(0, 2);
    size_t c1 = spec.find(','), c2 = spec.find(',', c1 == std::string::npos ? 0 : c1 + 1);
    if (c1 == std::string::npos || c2 == std::string::npos) return usage();
    auto* r = request.add_recipients();
    r->set_index(static_cast<uint32_t>(std::stoul(spec.substr(0, c1))));
    r->set_address(spec.substr(c1 + 1, c2 - c1 - 1));
    r->set_original(r->address());
    r->set_mailbox(spec.substr(c2 + 1));
    r->set_virtual_mailbox(is_virtual);
  }
  if (queue_id.empty()) {
    proto::Envelope env;
    env.set_sender(sender);
    for (const auto& r : request.recipients()) env.add_recipients()->set_address(r.address());
    std::string message((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    auto written = testtools::write_queue_message(spool, env, message);
    if (!written) {
      std::fprintf(stderr, "local_deliver: cannot write the message: %s\n", written.error().message.c_str());
      return 74;
    }
    queue_id = *written;
  }
  request.set_queue_id(queue_id);
  std::printf("queue_id %s\n", queue_id.c_str());
  auto reply = ipc::blocking_call_as<proto::DeliveryReply>(spool + "/private/local", request, timeout_s * 1000);
  if (!reply) {
    std::fprintf(stderr, "local_deliver: %s\n", reply.error().message.c_str());
    return 75;
  }
  for (const auto& r : reply->results()) {
    std::printf("result\t%u\t%s\t%s\t%s\n", r.index(), proto::RecipientResult::Outcome_Name(r.outcome()).c_str(),
                r.dsn_status().c_str(), r.diagnostic().c_str());
    for (const auto& e : r.expanded()) std::printf("expanded\t%u\t%s\n", r.index(), e.address().c_str());
  }
  return 0;
}

// smtp_deliver: a test tool that drives the `smtp` delivery agent directly, as qmgr would.
// Unless -q names a message already queued, it writes the message from standard input into
// SPOOL_DIR/queue through spool::QueueFileWriter, then sends one DeliveryRequest over
// SPOOL_DIR/private/smtp with ipc::blocking_call and prints the reply:
//
//   smtp_deliver SPOOL_DIR -n NEXTHOP [-f SENDER] [-q QUEUE_ID] [-t TIMEOUT_S] [-u] [-8]
//                [-R FULL|HDRS] [-E ENVID] RECIPIENT...
//   -u: the envelope asked for SMTPUTF8; -8: BODY=8BITMIME
//   RECIPIENT: ADDRESS or ADDRESS,NOTIFY,ORCPT   (index = position)
//   output:    queue_id ID
//              result INDEX OUTCOME DSN RELAY DIAGNOSTIC   (tab separated, one per recipient)
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include "common/ipc/blocking_client.h"
#include "common/spool/file_io.h"
#include "common/spool/queue_id.h"
#include "common/spool/queue_writer.h"
#include "delivery.pb.h"
#include "tests/integration/queue_message.h"

namespace {

int usage() {
  std::fprintf(stderr, "usage: smtp_deliver SPOOL_DIR -n NEXTHOP [-f SENDER] [-q QUEUE_ID] [-t TIMEOUT_S] "
                       "[-u] [-8] [-R FULL|HDRS] [-E ENVID] ADDRESS[,NOTIFY,ORCPT]...\n");
  return 64;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tern;
  if (argc < 3) return usage();
  std::string spool = argv[1];
  std::string sender, queue_id, nexthop, envid, ret;
  bool smtputf8 = false, eightbit = false;
  int timeout_s = 60;
  int i = 2;
  for (; i < argc && argv[i][0] == '-'; ++i) {
    std::string flag = argv[i];
    if (flag == "-u") { smtputf8 = true; continue; }
    if (flag == "-8") { eightbit = true; continue; }
    if (i + 1 >= argc) return usage();
    std::string value = argv[++i];
    if (flag == "-f") sender = value;
    else if (flag == "-q") queue_id = value;
    else if (flag == "-n") nexthop = value;
    else if (flag == "-t") timeout_s = std::stoi(value);
    else if (flag == "-R") ret = value;
    else if (flag == "-E") envid = value;
    else return usage();
  }
  if (i >= argc || nexthop.empty()) return usage();
  proto::DeliveryRequest request;
  request.set_id(42);
  request.set_sender(sender);
  request.set_nexthop(nexthop);
  proto::Envelope env;
  for (uint32_t index = 0; i < argc; ++i, ++index) {
    std::string spec = argv[i];
    auto* r = request.add_recipients();
    r->set_index(index);
    size_t c1 = spec.find(',');
    r->set_address(spec.substr(0, c1));
    r->set_original(r->address());
    auto* er = env.add_recipients();
    er->set_address(r->address());
    if (c1 != std::string::npos) {
      size_t c2 = spec.find(',', c1 + 1);
      r->set_notify(static_cast<uint32_t>(std::stoul(spec.substr(c1 + 1, c2 - c1 - 1))));
      if (c2 != std::string::npos) r->set_orcpt(spec.substr(c2 + 1));
      er->set_notify(r->notify());
      er->set_orcpt(r->orcpt());
    }
  }
  if (queue_id.empty()) {
    env.set_sender(sender);
    env.set_smtputf8(smtputf8);
    env.set_body_8bitmime(eightbit);
    env.set_envid(envid);
    if (ret == "FULL") env.set_ret(proto::RET_FULL);
    if (ret == "HDRS") env.set_ret(proto::RET_HDRS);
    std::string message((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    auto written = testtools::write_queue_message(spool, env, message);
    if (!written) {
      std::fprintf(stderr, "smtp_deliver: cannot write the message: %s\n", written.error().message.c_str());
      return 74;
    }
    queue_id = *written;
  }
  request.set_queue_id(queue_id);
  std::printf("queue_id %s\n", queue_id.c_str());
  auto reply = ipc::blocking_call_as<proto::DeliveryReply>(spool + "/private/smtp", request, timeout_s * 1000);
  if (!reply) {
    std::fprintf(stderr, "smtp_deliver: %s\n", reply.error().message.c_str());
    return 75;
  }
  for (const auto& r : reply->results()) {
    std::printf("result\t%u\t%s\t%s\t%s\t%s\n", r.index(), proto::RecipientResult::Outcome_Name(r.outcome()).c_str(),
                r.dsn_status().c_str(), r.relay().c_str(), r.diagnostic().c_str());
  }
  return 0;
}

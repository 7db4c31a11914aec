// enqueue: a test tool that puts one message into a spool exactly as smtpd would (through
// spool::QueueFileWriter: incoming/, fsync, rename into queue/, directory fsync), then wakes
// qmgr. The message is read from standard input; the queue id is printed.
//
//   enqueue SPOOL_DIR [-f SENDER] [-N NOTIFY] [-O ORCPT] [-R full|hdrs] [-a AGE_SECONDS]
//           RECIPIENT...
// NOTIFY is Postfix's list: SUCCESS,FAILURE,DELAY or NEVER (applies to every recipient).
// Run as root, it first becomes the owner of SPOOL_DIR/queue (the tern user), as smtpd is.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>

#include "common/ipc/blocking_client.h"
#include "common/spool/file_io.h"
#include "common/spool/queue_id.h"
#include "common/spool/queue_writer.h"
#include "qmgr.pb.h"

namespace {

uint32_t parse_notify(const std::string& list) {
  uint32_t bits = 0;
  std::stringstream in(list);
  std::string word;
  while (std::getline(in, word, ',')) {
    if (word == "SUCCESS") bits |= 1;
    else if (word == "FAILURE") bits |= 2;
    else if (word == "DELAY") bits |= 4;
    else if (word == "NEVER") bits |= 8;
  }
  return bits;
}

int usage() {
  std::fprintf(stderr, "usage: enqueue SPOOL_DIR [-f SENDER] [-N NOTIFY] [-O ORCPT] [-R full|hdrs] "
                       "[-a AGE_SECONDS] RECIPIENT...\n");
  return 64;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tern;
  if (argc < 3) return usage();
  std::string spool = argv[1];
  proto::Envelope env;
  uint32_t notify = 0;
  std::string orcpt;
  int64_t age_us = 0;
  int i = 2;
  for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "-f") env.set_sender(value);
    else if (flag == "-N") notify = parse_notify(value);
    else if (flag == "-O") orcpt = value;
    else if (flag == "-R") env.set_ret(value == "hdrs" ? proto::RET_HDRS : proto::RET_FULL);
    else if (flag == "-a") age_us = std::stoll(value) * 1'000'000;
    else return usage();
  }
  if (i >= argc) return usage();
  for (; i < argc; ++i) {
    proto::Recipient* r = env.add_recipients();
    r->set_address(argv[i]);
    r->set_notify(notify);
    r->set_orcpt(orcpt);
  }
  struct stat st {};
  if (::geteuid() == 0 && ::stat((spool + "/queue").c_str(), &st) == 0 && st.st_uid != 0) {
    if (::setgid(st.st_gid) != 0 || ::setuid(st.st_uid) != 0) {
      std::perror("enqueue: setuid");
      return 71;
    }
  }
  std::string message((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());

  spool::SystemClock clock;
  std::string id = spool::QueueIdGenerator(clock, ::getpid()).next();
  env.set_queue_id(id);
  env.set_arrival_time_us(clock.now_us() - age_us);
  env.mutable_client()->set_protocol("LOCAL");
  auto dirfd = spool::open_directory(AT_FDCWD, spool);
  if (!dirfd) {
    std::fprintf(stderr, "enqueue: %s\n", dirfd.error().message.c_str());
    return 74;
  }
  auto writer = spool::QueueFileWriter::create(dirfd->get(), id, env);
  if (!writer || !writer->append(message) || !writer->commit()) {
    std::fprintf(stderr, "enqueue: cannot write the message\n");
    return 74;
  }
  std::printf("%s\n", id.c_str());
  std::fflush(stdout);

  proto::QmgrRequest wake;
  wake.set_id(1);
  wake.mutable_wakeup();
  if (auto r = ipc::blocking_call(spool + "/private/qmgr", wake, 5000); !r)
    std::fprintf(stderr, "enqueue: warning: qmgr not woken: %s\n", r.error().message.c_str());
  return 0;
}

// ternctl queue list [--json] | show ID | hold|release|delete|requeue ID...|ALL | flush, and
// `mailq` (= queue list in Postfix's format). Every request goes to qmgr over
// <spool>/private/qmgr; queue ids are checked with is_valid_queue_id before they are sent.
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "common/ipc/blocking_client.h"
#include "common/spool/queue_id.h"
#include "ctl/command.h"
#include "ctl/control_client.h"
#include "qmgr.pb.h"

namespace tern::ctl {
namespace {

constexpr int kTimeoutMs = 30'000;

Result<proto::QmgrReply> call_qmgr(const std::string& config_directory,
                                   proto::QueueAdmin admin) {
  auto config = load_config_or_report(config_directory);
  if (!config) return std::unexpected(config.error());
  proto::QmgrRequest request;
  request.set_id(static_cast<uint64_t>(::time(nullptr)));
  *request.mutable_admin() = std::move(admin);
  return ipc::blocking_call_as<proto::QmgrReply>(
      config->get("spool_directory") + "/private/qmgr", request, kTimeoutMs);
}

int report_failure(const char* program, const Error& error) {
  bool down = error.code == ENOENT || error.code == ECONNREFUSED;
  std::fprintf(stderr, "%s: %s%s\n", program, down ? "the queue manager is not running: " : "",
               error.message.c_str());
  return down ? kExitUnavailable : kExitTempFail;
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

void print_json(const proto::QmgrReply& reply) {
  std::printf("[");
  for (int i = 0; i < reply.entries_size(); ++i) {
    const auto& e = reply.entries(i);
    std::printf("%s\n {\"queue_id\": %s, \"sender\": %s, \"arrival_time\": %lld, \"size\": %llu, "
                "\"held\": %s, \"active\": %s, \"recipients\": [",
                i ? "," : "", json_string(e.queue_id()).c_str(), json_string(e.sender()).c_str(),
                static_cast<long long>(e.arrival_time_us() / 1'000'000),
                static_cast<unsigned long long>(e.size()), e.held() ? "true" : "false",
                e.active() ? "true" : "false");
    for (int j = 0; j < e.recipients_size(); ++j) {
      const auto& r = e.recipients(j);
      std::printf("%s{\"address\": %s, \"reason\": %s}", j ? ", " : "",
                  json_string(r.address()).c_str(), json_string(r.reason()).c_str());
    }
    std::printf("]}");
  }
  std::printf("%s]\n", reply.entries_size() ? "\n" : "");
}

// Postfix's mailq layout: '*' marks a message in delivery, '!' a held one; the "(reason)" line
// of a deferred recipient comes before it.
void print_mailq(const proto::QmgrReply& reply) {
  if (reply.entries_size() == 0) {
    std::printf("Mail queue is empty\n");
    return;
  }
  std::printf("-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n");
  unsigned long long total = 0;
  for (const auto& e : reply.entries()) {
    time_t arrival = static_cast<time_t>(e.arrival_time_us() / 1'000'000);
    struct tm tm {};
    localtime_r(&arrival, &tm);
    char when[32];
    std::strftime(when, sizeof when, "%a %b %e %H:%M:%S", &tm);
    char mark = e.held() ? '!' : e.active() ? '*' : ' ';
    std::printf("%s%c %8llu %-20s %s\n", e.queue_id().c_str(), mark,
                static_cast<unsigned long long>(e.size()), when,
                e.sender().empty() ? "MAILER-DAEMON" : e.sender().c_str());
    std::string last_reason;
    for (const auto& r : e.recipients()) {
      if (!r.reason().empty() && r.reason() != last_reason) std::printf("(%s)\n", r.reason().c_str());
      last_reason = r.reason();
      std::printf("%47s%s\n", "", r.address().c_str());
    }
    std::printf("\n");
    total += e.size();
  }
  std::printf("-- %llu Kbytes in %d Request%s.\n", total / 1024, reply.entries_size(),
              reply.entries_size() == 1 ? "" : "s");
}

int list(const Invocation& inv, bool json, const char* program) {
  proto::QueueAdmin admin;
  admin.set_op(proto::QueueAdmin::LIST);
  auto reply = call_qmgr(inv.config_directory, std::move(admin));
  if (!reply) return report_failure(program, reply.error());
  if (!reply->ok()) {
    std::fprintf(stderr, "%s: %s\n", program, reply->error().c_str());
    return kExitTempFail;
  }
  if (json) {
    print_json(*reply);
  } else {
    print_mailq(*reply);
  }
  if (!reply->error().empty()) std::fprintf(stderr, "%s: warning: %s\n", program, reply->error().c_str());
  return kExitOk;
}

// hold, release, delete, requeue: ID... or ALL.
int each(const Invocation& inv, proto::QueueAdmin::Op op, const char* verb, const char* done) {
  if (inv.args.empty()) {
    std::fprintf(stderr, "usage: ternctl queue %s ID...|ALL\n", verb);
    return kExitUsage;
  }
  proto::QueueAdmin admin;
  admin.set_op(op);
  for (const auto& id : inv.args) {
    if (id != "ALL" && !spool::is_valid_queue_id(id)) {
      std::fprintf(stderr, "ternctl: invalid queue id: %s\n", id.c_str());
      return kExitUsage;
    }
    admin.add_queue_ids(id);
  }
  auto reply = call_qmgr(inv.config_directory, std::move(admin));
  if (!reply) return report_failure("ternctl", reply.error());
  std::printf("ternctl: %u message%s %s\n", reply->affected(), reply->affected() == 1 ? "" : "s",
              done);
  if (!reply->ok()) {
    std::fprintf(stderr, "ternctl: %s\n", reply->error().c_str());
    return 1;
  }
  return kExitOk;
}

}  // namespace

int run_queue_list(const Invocation& inv) {
  bool json = false;
  for (const auto& arg : inv.args) {
    if (arg == "--json") {
      json = true;
    } else {
      std::fprintf(stderr, "usage: ternctl queue list [--json]\n");
      return kExitUsage;
    }
  }
  return list(inv, json, "ternctl");
}

int run_queue_show(const Invocation& inv) {
  if (inv.args.size() != 1 || !spool::is_valid_queue_id(inv.args[0])) {
    std::fprintf(stderr, "usage: ternctl queue show ID\n");
    return kExitUsage;
  }
  proto::QueueAdmin admin;
  admin.set_op(proto::QueueAdmin::SHOW);
  admin.add_queue_ids(inv.args[0]);
  auto reply = call_qmgr(inv.config_directory, std::move(admin));
  if (!reply) return report_failure("ternctl", reply.error());
  if (!reply->ok()) {
    std::fprintf(stderr, "ternctl: %s\n", reply->error().c_str());
    return 1;
  }
  std::fwrite(reply->text().data(), 1, reply->text().size(), stdout);
  if (!reply->error().empty()) std::fprintf(stderr, "ternctl: warning: %s\n", reply->error().c_str());
  return kExitOk;
}

int run_queue_hold(const Invocation& inv) { return each(inv, proto::QueueAdmin::HOLD, "hold", "placed on hold"); }
int run_queue_release(const Invocation& inv) { return each(inv, proto::QueueAdmin::RELEASE, "release", "released from hold"); }
int run_queue_delete(const Invocation& inv) { return each(inv, proto::QueueAdmin::DELETE, "delete", "deleted"); }
int run_queue_requeue(const Invocation& inv) { return each(inv, proto::QueueAdmin::REQUEUE, "requeue", "requeued"); }

int run_queue_flush(const Invocation& inv) {
  if (!inv.args.empty()) {
    std::fprintf(stderr, "usage: ternctl queue flush\n");
    return kExitUsage;
  }
  proto::QueueAdmin admin;
  admin.set_op(proto::QueueAdmin::FLUSH);
  auto reply = call_qmgr(inv.config_directory, std::move(admin));
  if (!reply) return report_failure("ternctl", reply.error());
  std::printf("ternctl: queue flush requested\n");
  return kExitOk;
}

int run_mailq(const Invocation& inv) { return list(inv, false, "mailq"); }

int run_mailq_argv(int argc, char** argv) {
  const char* dir = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "-c" && i + 1 < argc) {
      dir = argv[++i];
    } else {
      std::fprintf(stderr, "usage: mailq [-c config_directory]\n");
      return kExitUsage;
    }
  }
  Invocation inv;
  inv.config_directory = config::config_directory_from(dir);
  return run_mailq(inv);
}

}  // namespace tern::ctl

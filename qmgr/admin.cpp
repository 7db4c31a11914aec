// QueueManager: queue administration over private/qmgr (ternctl queue ..., mailq): list,
// show, hold, release, delete, requeue, flush. Queue ids from the request are checked with
// is_valid_queue_id before any file is touched.
#include <fcntl.h>
#include <sys/stat.h>

#include "common/log/log.h"
#include "common/spool/layout.h"
#include "common/spool/queue_file.h"
#include "common/spool/spool_scan.h"
#include "qmgr/service.h"
#include "qmgr/spool_ops.h"

namespace tern::qmgr {
namespace {

constexpr size_t kMaxReplyBytes = 900 * 1024;  // under the 1 MiB frame limit

}  // namespace

void QueueManager::on_admin(const ipc::Peer& peer, const proto::QmgrRequest& request) {
  const proto::QueueAdmin& admin = request.admin();
  proto::QmgrReply reply;
  reply.set_id(request.id());
  reply.set_ok(true);
  for (const auto& id : admin.queue_ids()) {
    if (id != "ALL" && !spool::is_valid_queue_id(id)) {
      reply.set_ok(false);
      reply.set_error("invalid queue id: " + id.substr(0, 64));
      server_.reply(peer.conn_id, reply);
      return;
    }
  }
  switch (admin.op()) {
    case proto::QueueAdmin::LIST: admin_list(reply); break;
    case proto::QueueAdmin::SHOW: admin_show(admin, reply); break;
    case proto::QueueAdmin::FLUSH:
      request_run(true);
      reply.set_affected(static_cast<uint32_t>(not_before_.size()));
      break;
    default: admin_each(admin, reply); break;
  }
  server_.reply(peer.conn_id, reply);
}

void QueueManager::admin_list(proto::QmgrReply& reply) {
  size_t bytes = 0;
  for (const char* dir : {spool::kQueueDir, spool::kHoldDir}) {
    auto ids = spool::list_queue(spool_fd_.get(), dir);
    if (!ids) {
      reply.set_ok(false);
      reply.set_error(ids.error().message);
      return;
    }
    auto dirfd = spool::open_directory(spool_fd_.get(), dir);
    if (!dirfd) continue;
    for (const auto& id : *ids) {
      auto parsed = spool::read_queue_file(dirfd->get(), id);
      if (!parsed) continue;  // gone meanwhile, or corrupt (the next queue run moves it)
      auto active = active_.find(id);
      MessageState state = active != active_.end() ? active->second.state : rebuild_state(*parsed);
      proto::QueueEntry entry;
      entry.set_queue_id(id);
      entry.set_sender(state.envelope.sender());
      entry.set_arrival_time_us(state.envelope.arrival_time_us());
      entry.set_size(state.message_length);
      entry.set_held(std::string_view(dir) == spool::kHoldDir);
      entry.set_active(active != active_.end());
      for (const auto& r : state.recipients) {
        if (!r.pending()) continue;
        auto* rcpt = entry.add_recipients();
        rcpt->set_address(r.recipient.address());
        if (r.state == proto::STATE_DEFERRED) rcpt->set_reason(r.diagnostic);
      }
      bytes += entry.ByteSizeLong();
      if (bytes > kMaxReplyBytes) {
        reply.set_error("listing truncated: the queue is larger than one reply");
        return;
      }
      *reply.add_entries() = std::move(entry);
    }
  }
}

void QueueManager::admin_show(const proto::QueueAdmin& admin, proto::QmgrReply& reply) {
  if (admin.queue_ids_size() != 1 || admin.queue_ids(0) == "ALL") {
    reply.set_ok(false);
    reply.set_error("show takes one queue id");
    return;
  }
  const std::string& id = admin.queue_ids(0);
  std::string dir = locate(id);
  auto dirfd = dir.empty() ? Result<spool::UniqueFd>(fail("no such message: " + id))
                           : spool::open_directory(spool_fd_.get(), dir);
  auto parsed = dirfd ? spool::read_queue_file(dirfd->get(), id)
                      : Result<spool::ParsedQueueFile>(std::unexpected(dirfd.error()));
  if (!parsed) {
    reply.set_ok(false);
    reply.set_error(parsed.error().code == ENOENT ? "no such message: " + id
                                                  : parsed.error().message);
    return;
  }
  auto text = read_message(spool_fd_.get(), dir, id, parsed->message_offset,
                           parsed->message_length, kMaxReplyBytes);
  if (!text) {
    reply.set_ok(false);
    reply.set_error(text.error().message);
    return;
  }
  if (text->size() < parsed->message_length) reply.set_error("message truncated");
  reply.set_text(std::move(*text));
  auto* entry = reply.add_entries();
  entry->set_queue_id(id);
  entry->set_sender(parsed->envelope.sender());
  entry->set_arrival_time_us(parsed->envelope.arrival_time_us());
  entry->set_size(parsed->message_length);
  entry->set_held(dir == spool::kHoldDir);
}

std::string QueueManager::locate(const std::string& queue_id) const {
  for (const char* dir : {spool::kQueueDir, spool::kHoldDir}) {
    struct stat st {};
    std::string path = std::string(dir) + "/" + queue_id;
    if (::fstatat(spool_fd_.get(), path.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISREG(st.st_mode))
      return dir;
  }
  return "";
}

void QueueManager::admin_each(const proto::QueueAdmin& admin, proto::QmgrReply& reply) {
  auto op = admin.op();
  // hold and requeue act on queue/; release on hold/; delete on both.
  std::vector<std::pair<std::string, std::string>> targets;  // id, dir
  bool all = false;
  for (const auto& id : admin.queue_ids()) all |= id == "ALL";
  std::vector<const char*> dirs;
  if (op == proto::QueueAdmin::HOLD || op == proto::QueueAdmin::REQUEUE) dirs = {spool::kQueueDir};
  else if (op == proto::QueueAdmin::RELEASE) dirs = {spool::kHoldDir};
  else dirs = {spool::kQueueDir, spool::kHoldDir};
  if (all) {
    for (const char* dir : dirs) {
      auto ids = spool::list_queue(spool_fd_.get(), dir);
      if (ids) for (auto& id : *ids) targets.emplace_back(std::move(id), dir);
    }
  } else {
    for (const auto& id : admin.queue_ids()) {
      std::string dir = locate(id);
      if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) {
        reply.set_ok(false);
        reply.set_error((reply.error().empty() ? "" : reply.error() + "; ") +
                        (dir.empty() ? "no such message: " : "message is in " + dir + "/: ") + id);
        continue;
      }
      targets.emplace_back(id, dir);
    }
  }
  uint32_t affected = 0;
  for (const auto& [id, dir] : targets) affected += admin_one(op, id, dir) ? 1 : 0;
  reply.set_affected(affected);
  if (affected > 0) request_run(false);
}

bool QueueManager::admin_one(proto::QueueAdmin::Op op, const std::string& queue_id,
                             const std::string& dir) {
  auto active = active_.find(queue_id);
  bool is_active = dir == spool::kQueueDir && active != active_.end();
  switch (op) {
    case proto::QueueAdmin::HOLD:
    case proto::QueueAdmin::DELETE:
      if (is_active) {
        // In delivery: take back what has not started; the rest ends when its jobs do.
        Active& m = active->second;
        (op == proto::QueueAdmin::HOLD ? m.hold_requested : m.delete_requested) = true;
        size_t dropped = scheduler_.remove_message(queue_id);
        m.waiting -= std::min(m.waiting, dropped);
        maybe_finish(queue_id);
        return true;
      }
      if (op == proto::QueueAdmin::DELETE) {
        if (auto removed = remove_queue_file(spool_fd_.get(), dir, queue_id); !removed) {
          TERN_LOG_WARNING("%s: delete: %s", queue_id.c_str(), removed.error().message.c_str());
          return false;
        }
        not_before_.erase(queue_id);
        TERN_LOG_INFO("%s: removed", queue_id.c_str());
        return true;
      }
      if (auto moved = move_queue_file(spool_fd_.get(), spool::kQueueDir, spool::kHoldDir, queue_id);
          !moved) {
        TERN_LOG_WARNING("%s: hold: %s", queue_id.c_str(), moved.error().message.c_str());
        return false;
      }
      not_before_.erase(queue_id);
      TERN_LOG_INFO("%s: placed on hold", queue_id.c_str());
      return true;
    case proto::QueueAdmin::RELEASE:
      if (auto moved = move_queue_file(spool_fd_.get(), spool::kHoldDir, spool::kQueueDir, queue_id);
          !moved) {
        TERN_LOG_WARNING("%s: release: %s", queue_id.c_str(), moved.error().message.c_str());
        return false;
      }
      TERN_LOG_INFO("%s: released from hold", queue_id.c_str());
      force_ids_.insert(queue_id);
      return true;
    case proto::QueueAdmin::REQUEUE:
      // Routing is done afresh on every attempt; requeue makes the message due now.
      if (is_active) {
        active->second.requeue_requested = true;
      } else {
        force_ids_.insert(queue_id);
      }
      TERN_LOG_INFO("%s: requeued", queue_id.c_str());
      return true;
    default:
      return false;
  }
}

}  // namespace tern::qmgr

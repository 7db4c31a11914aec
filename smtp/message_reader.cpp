// Queue-file reading on the work pool (see message_reader.h).
#include "smtp/message_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "common/spool/file_io.h"
#include "common/spool/layout.h"

namespace tern::smtp {
namespace {

struct ReadWork {
  uv_work_t req{};
  std::string queue_id;
  std::weak_ptr<bool> alive;
  std::function<void(Result<QueuedMessage>)> done;
  Result<QueuedMessage> result = fail("not read");
};

}  // namespace

Result<QueuedMessage> read_queued_message(const std::string& queue_id) {
  std::string name = std::string(spool::kQueueDir) + "/" + queue_id;
  int fd = ::open(name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return fail_errno(name + ": open", errno);
  spool::UniqueFd owned(fd);
  auto file = spool::read_queue_fd(fd, name);
  if (!file) return std::unexpected(file.error());
  QueuedMessage out;
  out.bytes.assign(file->message_length, '\0');
  size_t done = 0;
  while (done < out.bytes.size()) {
    ssize_t n = ::pread(fd, out.bytes.data() + done, out.bytes.size() - done,
                        static_cast<off_t>(file->message_offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail_errno(name + ": read", n < 0 ? errno : EIO);
    done += static_cast<size_t>(n);
  }
  out.file = std::move(*file);
  return out;
}

void read_message_async(uv_loop_t* loop, std::string queue_id, std::weak_ptr<bool> alive,
                        std::function<void(Result<QueuedMessage>)> done) {
  auto* work = new ReadWork;
  work->req.data = work;
  work->queue_id = std::move(queue_id);
  work->alive = std::move(alive);
  work->done = std::move(done);
  int rc = uv_queue_work(
      loop, &work->req,
      [](uv_work_t* req) {
        auto* w = static_cast<ReadWork*>(req->data);
        w->result = read_queued_message(w->queue_id);
      },
      [](uv_work_t* req, int status) {
        std::unique_ptr<ReadWork> w(static_cast<ReadWork*>(req->data));
        if (w->alive.expired()) return;
        if (status != 0) return w->done(fail(std::string("reading the queue file: ") + uv_strerror(status)));
        w->done(std::move(w->result));
      });
  if (rc != 0) {
    std::unique_ptr<ReadWork> w(work);
    w->done(read_queued_message(w->queue_id));  // no work pool: read here rather than fail
  }
}

}  // namespace tern::smtp

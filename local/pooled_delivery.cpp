// Pooled delivery: deliver_recipient() for a virtual Maildir on a work-pool thread.
#include "local/pooled_delivery.h"

namespace tern::local {
namespace {

struct PoolWork {
  uv_work_t req{};
  std::shared_ptr<const config::Config> config;
  RecipientJob job;
  proto::RecipientResult result;
  PoolDone done;
};

void run(uv_work_t* req) {
  auto* work = static_cast<PoolWork*>(req->data);
  work->result = deliver_recipient(*work->config, work->job);
}

void after(uv_work_t* req, int) {
  std::unique_ptr<PoolWork> work(static_cast<PoolWork*>(req->data));
  work->done(work->job, std::move(work->result));
}

}  // namespace

bool poolable(const RecipientJob& job) {
  const std::string& mailbox = job.recipient.mailbox();
  return job.is_virtual && !mailbox.empty() && mailbox.back() == '/';
}

void deliver_in_pool(uv_loop_t* loop, std::shared_ptr<const config::Config> config, RecipientJob job,
                     PoolDone done) {
  auto* work = new PoolWork;
  work->req.data = work;
  work->config = std::move(config);
  work->job = std::move(job);
  work->job.keep_ids = true;
  work->done = std::move(done);
  if (uv_queue_work(loop, &work->req, run, after) != 0) {  // no work pool: deliver here, as root after
    work->job.keep_ids = false;
    run(&work->req);
    after(&work->req, 0);
  }
}

}  // namespace tern::local

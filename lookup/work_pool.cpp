// run_on_work_pool(): uv_queue_work with std::function callbacks (see work_pool.h).
#include "lookup/work_pool.h"

#include "common/check.h"

namespace tern::lookup {
namespace {

struct Job {
  uv_work_t request{};
  std::weak_ptr<bool> alive;
  std::function<void()> work;
  std::function<void()> done;
};

void on_work(uv_work_t* request) { static_cast<Job*>(request->data)->work(); }

void on_done(uv_work_t* request, int status) {
  std::unique_ptr<Job> job(static_cast<Job*>(request->data));
  if (status == 0 && !job->alive.expired()) job->done();
}

}  // namespace

void run_on_work_pool(uv_loop_t* loop, const AliveToken& alive, std::function<void()> work,
                      std::function<void()> done) {
  auto job = std::make_unique<Job>();
  job->request.data = job.get();
  job->alive = alive;
  job->work = std::move(work);
  job->done = std::move(done);
  TERN_CHECK(uv_queue_work(loop, &job->request, on_work, on_done) == 0);
  job.release();  // freed in on_done
}

}  // namespace tern::lookup

// DirectorySync: one fsync() of a directory in the work pool answers every request made before
// it started (see directory_sync.h).
#include "common/spool/directory_sync.h"

#include "common/spool/queue_writer.h"

namespace tern::spool {

struct DirectorySync::State {
  uv_loop_t* loop = nullptr;
  int dirfd = -1;
  bool alive = true;
  bool running = false;
  std::vector<Done> waiting;    // asked for a sync that has not started yet
  std::vector<Done> in_flight;  // answered by the sync now running
  Result<void> result;
  uint64_t syncs = 0;
};

namespace {

struct SyncWork {
  uv_work_t req{};
  std::shared_ptr<void> keep;  // the State, alive until the after-work callback ran
};

}  // namespace

DirectorySync::DirectorySync(uv_loop_t* loop, int dirfd) : state_(std::make_shared<State>()) {
  state_->loop = loop;
  state_->dirfd = dirfd;
}

DirectorySync::~DirectorySync() {
  state_->alive = false;
  state_->waiting.clear();
  state_->in_flight.clear();
}

uint64_t DirectorySync::syncs() const { return state_->syncs; }

void DirectorySync::request(Done done) {
  state_->waiting.push_back(std::move(done));
  if (!state_->running) start(state_);
}

void DirectorySync::start(const std::shared_ptr<State>& state) {
  if (!state->alive || state->waiting.empty()) return;
  state->running = true;
  state->in_flight.swap(state->waiting);
  ++state->syncs;
  auto* work = new SyncWork;
  work->req.data = work;
  work->keep = state;
  auto finished = [](uv_work_t* req, int) {
    std::unique_ptr<SyncWork> w(static_cast<SyncWork*>(req->data));
    auto s = std::static_pointer_cast<State>(w->keep);
    s->running = false;
    std::vector<Done> answered;
    answered.swap(s->in_flight);
    for (Done& done : answered) {
      if (done) done(s->result);
    }
    start(s);
  };
  int rc = uv_queue_work(
      state->loop, &work->req,
      [](uv_work_t* req) {
        auto* s = static_cast<State*>(static_cast<SyncWork*>(req->data)->keep.get());
        s->result = sync_directory(s->dirfd);
      },
      finished);
  if (rc != 0) {  // no work pool: sync here
    state->result = sync_directory(state->dirfd);
    finished(&work->req, 0);
  }
}

}  // namespace tern::spool

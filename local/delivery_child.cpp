// DeliveryChild: fork, run, report over a socketpair; the parent's side on the loop.
#include "local/delivery_child.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "common/ipc/frame.h"
#include "common/log/log.h"
#include "common/spool/file_io.h"

namespace tern::local {
namespace {

proto::RecipientResult temporary(uint32_t index, std::string text) {
  proto::RecipientResult result;
  result.set_index(index);
  result.set_outcome(proto::RecipientResult::DEFERRED);
  result.set_dsn_status("4.3.0");
  result.set_diagnostic(std::move(text));
  result.set_relay("local");
  return result;
}

[[noreturn]] void run_child(int fd, const DeliveryChild::Work& work) {
  // The parent's libuv signal handlers would write into the parent's loop.
  for (int sig : {SIGCHLD, SIGTERM, SIGHUP, SIGINT}) ::signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  proto::RecipientResult result = work();
  auto frame = ipc::encode_frame(result);
  if (!frame || !spool::write_all(fd, *frame, "result pipe")) ::_exit(1);
  ::_exit(0);
}

}  // namespace

Result<std::unique_ptr<DeliveryChild>> DeliveryChild::start(uv_loop_t* loop, uint32_t index, uint64_t timeout_ms,
                                                            const Work& work, Done done) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return fail_errno("socketpair", errno);
  spool::UniqueFd parent_end(fds[0]), child_end(fds[1]);
  pid_t pid = ::fork();
  if (pid < 0) return fail_errno("fork", errno);
  if (pid == 0) {
    parent_end.reset();
    run_child(child_end.get(), work);
  }
  child_end.reset();
  auto channel = ipc::Channel::adopt(loop, parent_end.release());
  if (!channel) {
    ::kill(pid, SIGKILL);
    return std::unexpected(channel.error());
  }
  std::unique_ptr<DeliveryChild> child(new DeliveryChild(loop, index, pid, std::move(done)));
  child->channel_ = std::move(*channel);
  child->channel_->set_name("delivery child " + std::to_string(pid));
  DeliveryChild* self = child.get();
  child->channel_->set_handlers([self](std::string_view payload) { self->on_frame(payload); },
                                [self](std::string_view reason) { self->on_close(reason); });
  child->timer_.start(timeout_ms, [self, timeout_ms] {
    TERN_LOG_WARNING("delivery child %d exceeded %llu ms: killed", static_cast<int>(self->pid_),
                     static_cast<unsigned long long>(timeout_ms));
    ::kill(self->pid_, SIGKILL);
  });
  return child;
}

DeliveryChild::DeliveryChild(uv_loop_t* loop, uint32_t index, pid_t pid, Done done)
    : index_(index), pid_(pid), done_(std::move(done)), timer_(loop) {}

DeliveryChild::~DeliveryChild() {
  if (done_) ::kill(pid_, SIGKILL);  // destroyed before it finished (shutdown)
}

void DeliveryChild::on_frame(std::string_view payload) {
  proto::RecipientResult result;
  if (result_ || !result.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) return;
  result_ = std::move(result);
}

void DeliveryChild::on_close(std::string_view reason) {
  if (result_) {
    finish(std::move(*result_));
  } else {
    finish(temporary(index_, "delivery process " + std::to_string(pid_) + " ended without a result (" +
                                 std::string(reason) + ")"));
  }
}

void DeliveryChild::finish(proto::RecipientResult result) {
  timer_.stop();
  Done done = std::move(done_);
  done_ = nullptr;
  if (done) done(std::move(result));  // may destroy this
}

void reap_children() {
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    if (WIFSIGNALED(status)) {
      TERN_LOG_WARNING("delivery child %d killed by signal %d", static_cast<int>(pid), WTERMSIG(status));
    } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
      TERN_LOG_WARNING("delivery child %d exited with status %d", static_cast<int>(pid), WEXITSTATUS(status));
    }
  }
}

}  // namespace tern::local

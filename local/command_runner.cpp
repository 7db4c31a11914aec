// run_command(): fork, drop privileges, execve, feed stdin, collect output, time limit.
#include "local/command_runner.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/spool/file_io.h"

namespace tern::local {
namespace {

using spool::UniqueFd;

constexpr size_t kOutputKept = 512;

int64_t now_ms() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

std::string resolve_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  std::string_view path = kCommandPath;
  while (!path.empty()) {
    size_t colon = path.find(':');
    std::string candidate = std::string(path.substr(0, colon)) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    path = colon == std::string_view::npos ? std::string_view() : path.substr(colon + 1);
  }
  return name;
}

// In the forked process: never returns.
[[noreturn]] void exec_child(const CommandRequest& request, const std::string& program,
                             char* const* argv, char* const* envp, int in_fd, int out_fd) {
  ::setsid();
  for (int sig : {SIGPIPE, SIGCHLD, SIGTERM, SIGHUP, SIGINT}) ::signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (::dup2(in_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(out_fd, 2) < 0) ::_exit(71);
  ::close_range(3, ~0U, 0);
  if (::geteuid() == 0 || ::getuid() == 0) {
    if (request.as.uid == 0) ::_exit(77);
    if (::setgroups(1, &request.as.gid) != 0 || ::setresgid(request.as.gid, request.as.gid, request.as.gid) != 0 ||
        ::setresuid(request.as.uid, request.as.uid, request.as.uid) != 0 || ::setuid(0) == 0) {
      ::_exit(71);
    }
  }
  if (request.as.home.empty() || ::chdir(request.as.home.c_str()) != 0) {
    if (::chdir("/") != 0) ::_exit(71);
  }
  ::execve(program.c_str(), argv, envp);
  const char msg[] = "cannot execute command\n";
  ssize_t ignored = ::write(2, msg, sizeof msg - 1);
  (void)ignored;
  ::_exit(errno == ENOENT || errno == EACCES ? 69 : 71);
}

std::string describe_exit(int status) {
  if (WIFSIGNALED(status)) return "command died with signal " + std::to_string(WTERMSIG(status));
  return "command exited with status " + std::to_string(WEXITSTATUS(status));
}

}  // namespace

DeliveryStatus run_command(const CommandRequest& request) {
  if (request.argv.empty()) return DeliveryStatus::bounce("5.3.5", "empty command");
  std::string program = resolve_program(request.argv[0]);
  std::vector<std::string> env_strings;
  for (const auto& [name, value] : request.env) env_strings.push_back(name + "=" + value);
  std::vector<char*> argv, envp;
  for (const auto& a : request.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  int in_pipe[2], out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) return DeliveryStatus::defer("4.3.0", std::string("pipe: ") + std::strerror(errno));
  UniqueFd in_read(in_pipe[0]), in_write(in_pipe[1]);
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return DeliveryStatus::defer("4.3.0", std::string("pipe: ") + std::strerror(errno));
  UniqueFd out_read(out_pipe[0]), out_write(out_pipe[1]);

  pid_t pid = ::fork();
  if (pid < 0) return DeliveryStatus::defer("4.3.0", std::string("fork: ") + std::strerror(errno));
  if (pid == 0) exec_child(request, program, argv.data(), envp.data(), in_read.get(), out_write.get());
  in_read.reset();
  out_write.reset();
  ::fcntl(in_write.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(out_read.get(), F_SETFL, O_NONBLOCK);

  const int64_t deadline = now_ms() + static_cast<int64_t>(request.timeout_seconds) * 1000;
  size_t sent = 0;
  std::string output;
  int status = 0;
  bool exited = false;
  if (request.input.empty()) in_write.reset();
  while (!exited) {
    int64_t left = deadline - now_ms();
    if (left <= 0) {
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return DeliveryStatus::defer("4.3.0", "command time limit exceeded (" + std::to_string(request.timeout_seconds) + "s)");
    }
    pollfd fds[2];
    nfds_t n = 0;
    if (out_read.valid()) fds[n++] = {out_read.get(), POLLIN, 0};
    if (in_write.valid()) fds[n++] = {in_write.get(), POLLOUT, 0};
    int wait_ms = static_cast<int>(left < 50 ? left : 50);
    if (n > 0) {
      ::poll(fds, n, wait_ms);
    } else {
      timespec ts{0, wait_ms * 1000000L};
      ::nanosleep(&ts, nullptr);
    }
    if (out_read.valid()) {
      char buf[4096];
      ssize_t got = ::read(out_read.get(), buf, sizeof buf);
      if (got > 0) {
        if (output.size() < kOutputKept) output.append(buf, std::min(static_cast<size_t>(got), kOutputKept - output.size()));
      } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
        out_read.reset();
      }
    }
    if (in_write.valid()) {
      ssize_t put = ::write(in_write.get(), request.input.data() + sent, request.input.size() - sent);
      if (put > 0) sent += static_cast<size_t>(put);
      // EPIPE: the command does not read its input; its exit status decides.
      if ((put < 0 && errno != EAGAIN && errno != EINTR) || sent == request.input.size()) in_write.reset();
    }
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) exited = true;
  }
  while (out_read.valid() && output.size() < kOutputKept) {  // what it wrote just before exiting
    char buf[512];
    ssize_t got = ::read(out_read.get(), buf, sizeof buf);
    if (got <= 0) break;
    output.append(buf, std::min(static_cast<size_t>(got), kOutputKept - output.size()));
  }
  for (char& c : output) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  std::string text = describe_exit(status) + (output.empty() ? "" : ": " + output);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return DeliveryStatus::sent("delivered to command: " + request.argv[0]);
  if (WIFSIGNALED(status)) return DeliveryStatus::defer("4.3.0", text);
  int code = WEXITSTATUS(status);
  if (code == 75 || code == 71 || code == 74) return DeliveryStatus::defer("4.3.0", text);
  return DeliveryStatus::bounce("5.3.0", text);
}

}  // namespace tern::local

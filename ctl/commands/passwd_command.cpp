// ternctl passwd USER: sets USER's SMTP AUTH password in sasl_password_file as an argon2id
// hash (libsodium crypto_pwhash_str), replacing any earlier line for USER. The password comes
// from standard input when that is not a terminal (one line), else from two prompts without
// echo. The file is rewritten atomically (temporary file, fsync, rename, fsync of the
// directory), mode 0640 and group tern_user's group when run as root, so that only lookup
// (running as tern) and root can read it. Concurrent runs are serialised with a lock file.
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "common/config/config.h"
#include "common/spool/file_io.h"
#include "common/tables/credentials_file.h"
#include "common/tables/file_text.h"
#include "ctl/command.h"

namespace tern::ctl {
namespace {

// One line from the terminal with echo off.
bool prompt(const char* text, std::string* out) {
  std::fprintf(stderr, "%s", text);
  std::fflush(stderr);
  termios saved{};
  bool restore = tcgetattr(STDIN_FILENO, &saved) == 0;
  if (restore) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  bool ok = static_cast<bool>(std::getline(std::cin, *out));
  if (restore) tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
  std::fprintf(stderr, "\n");
  return ok;
}

Result<std::string> read_password() {
  std::string password;
  if (!isatty(STDIN_FILENO)) {
    if (!std::getline(std::cin, password) && password.empty()) return fail("no password on standard input");
    if (!password.empty() && password.back() == '\r') password.pop_back();
  } else {
    std::string again;
    if (!prompt("New password: ", &password) || !prompt("Retype new password: ", &again)) {
      return fail("no password given");
    }
    bool same = password == again;
    sodium_memzero(again.data(), again.size());
    if (!same) return fail("the passwords do not match");
  }
  if (password.empty()) return fail("empty password refused");
  return password;
}

Result<void> write_atomically(const std::string& path, const std::string& text, gid_t group) {
  std::string temporary = path + ".tmp." + std::to_string(getpid());
  spool::UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640));
  if (!fd.valid()) return fail_errno(temporary, errno);
  auto cleanup_on_error = [&](Error e) {
    ::unlink(temporary.c_str());
    return std::unexpected(std::move(e));
  };
  if (::fchmod(fd.get(), 0640) != 0) return cleanup_on_error(Error::from_errno(temporary + ": fchmod", errno));
  if (group != static_cast<gid_t>(-1) && ::fchown(fd.get(), 0, group) != 0) {
    return cleanup_on_error(Error::from_errno(temporary + ": fchown", errno));
  }
  if (auto written = spool::write_all(fd.get(), text, temporary); !written) return cleanup_on_error(written.error());
  if (::fsync(fd.get()) != 0) return cleanup_on_error(Error::from_errno(temporary + ": fsync", errno));
  fd.reset();
  if (::rename(temporary.c_str(), path.c_str()) != 0) return cleanup_on_error(Error::from_errno(path + ": rename", errno));
  std::string directory = path.substr(0, path.rfind('/') == std::string::npos ? 0 : path.rfind('/'));
  if (directory.empty()) directory = path.starts_with("/") ? "/" : ".";
  spool::UniqueFd dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.valid()) ::fsync(dir.get());
  return {};
}

}  // namespace

int run_passwd(const Invocation& inv) {
  if (inv.args.size() != 1) {
    std::fprintf(stderr, "usage: ternctl passwd USER   (the password is read from standard input or prompted for)\n");
    return kExitUsage;
  }
  const std::string& user = inv.args[0];
  if (!tables::valid_username(user)) {
    std::fprintf(stderr, "ternctl: bad user name \"%s\" (no ':', white space or control characters)\n", user.c_str());
    return kExitUsage;
  }
  auto config = config::Config::load(inv.config_directory);
  if (!config) {
    std::fprintf(stderr, "%s\n", config.error().message.c_str());
    return kExitConfig;
  }
  if (sodium_init() < 0) {
    std::fprintf(stderr, "ternctl: libsodium failed to initialise\n");
    return kExitSoftware;
  }
  std::string path = config->get("sasl_password_file");
  auto password = read_password();
  if (!password) {
    std::fprintf(stderr, "ternctl: %s\n", password.error().message.c_str());
    return kExitUsage;
  }
  char hash[crypto_pwhash_STRBYTES];
  int hashed = crypto_pwhash_str_alg(hash, password->data(), password->size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                     crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13);
  sodium_memzero(password->data(), password->size());
  if (hashed != 0) {
    std::fprintf(stderr, "ternctl: out of memory while hashing the password\n");
    return kExitSoftware;
  }
  gid_t group = static_cast<gid_t>(-1);
  if (geteuid() == 0) {
    if (const passwd* pw = getpwnam(config->get("tern_user").c_str())) group = pw->pw_gid;
  }
  spool::UniqueFd lock(::open((path + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock.valid() || ::flock(lock.get(), LOCK_EX) != 0) {
    std::fprintf(stderr, "ternctl: %s.lock: %s\n", path.c_str(), std::strerror(errno));
    return kExitTempFail;
  }
  struct stat st {};
  auto old_text = tables::read_file_text(path, "sasl_password_file", &st);
  if (!old_text && old_text.error().code != ENOENT) {
    std::fprintf(stderr, "ternctl: %s\n", old_text.error().message.c_str());
    return kExitTempFail;
  }
  auto new_text = tables::replace_credential(old_text ? *old_text : std::string(), user, hash);
  if (!new_text) {
    std::fprintf(stderr, "ternctl: %s\n", new_text.error().message.c_str());
    return kExitSoftware;
  }
  if (auto written = write_atomically(path, *new_text, group); !written) {
    std::fprintf(stderr, "ternctl: %s\n", written.error().message.c_str());
    return kExitTempFail;
  }
  std::printf("password for %s set in %s\n", user.c_str(), path.c_str());
  return kExitOk;
}

}  // namespace tern::ctl

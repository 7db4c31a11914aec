// CredentialChecker: SMTP AUTH checks against sasl_password_file (argon2id hashes written by
// `ternctl passwd`). The file is read on the loop (small; re-read when it changes);
// crypto_pwhash_str_verify runs on the work pool. An unknown user is verified against a
// dummy hash of the same cost, so the answer time does not reveal which users exist.
// Runs on the loop thread; the callback runs there too.
#pragma once

#include <sys/types.h>
#include <uv.h>

#include <ctime>
#include <functional>
#include <map>
#include <string>

#include "lookup/work_pool.h"

namespace tern::lookup {

class CredentialChecker {
 public:
  CredentialChecker(uv_loop_t* loop, std::string path);
  void set_path(std::string path) { path_ = std::move(path); }

  // Calls done(true) when username's password matches, else done(false) (unknown user,
  // wrong password, unreadable file -- the last one logged).
  void check(const std::string& username, std::string password, std::function<void(bool)> done);

 private:
  void refresh();

  uv_loop_t* loop_;
  std::string path_;
  std::map<std::string, std::string, std::less<>> hashes_;
  ino_t ino_ = 0;
  off_t size_ = -1;
  timespec mtime_{};
  AliveToken alive_ = std::make_shared<bool>(true);
};

}  // namespace tern::lookup

// CredentialChecker: SMTP AUTH checks against sasl_password_file (argon2id hashes written by
// `ternctl passwd`), or, with smtpd_sasl_type = dovecot, against Dovecot's auth service
// (dovecot_auth.h). The file is read on the loop (small; re-read when it changes);
// crypto_pwhash_str_verify and the Dovecot conversation run on the work pool. An unknown user
// is verified against a dummy hash of the same cost, so the answer time does not reveal which
// users exist. Runs on the loop thread; the callback runs there too.
#pragma once

#include <sys/types.h>
#include <uv.h>

#include <ctime>
#include <functional>
#include <map>
#include <string>

#include "lookup/dovecot_auth.h"
#include "lookup/work_pool.h"

namespace tern::lookup {

class CredentialChecker {
 public:
  CredentialChecker(uv_loop_t* loop, std::string path);
  void set_path(std::string path) { path_ = std::move(path); }
  // Ask Dovecot's auth service at this socket instead of the file; "" goes back to the file.
  void use_dovecot(std::string socket_path) { dovecot_socket_ = std::move(socket_path); }

  // Calls done(kOk) when the password matches, done(kFail) for an unknown user or a wrong
  // password (or an unreadable file, logged), done(kTempFail) when Dovecot cannot answer.
  void check(DovecotAuthRequest request, std::function<void(AuthOutcome)> done);

 private:
  void refresh();

  uv_loop_t* loop_;
  std::string path_;
  std::string dovecot_socket_;
  std::map<std::string, std::string, std::less<>> hashes_;
  ino_t ino_ = 0;
  off_t size_ = -1;
  timespec mtime_{};
  AliveToken alive_ = std::make_shared<bool>(true);
};

}  // namespace tern::lookup

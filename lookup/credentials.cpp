// CredentialChecker: argon2id verification on the work pool (see credentials.h).
#include "lookup/credentials.h"

#include <sodium.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "common/log/log.h"
#include "common/tables/credentials_file.h"
#include "common/tables/file_text.h"

namespace tern::lookup {
namespace {

// A hash of a random password at the cost `ternctl passwd` uses, verified for unknown users.
constexpr const char* kDummyHash =
    "$argon2id$v=19$m=65536,t=2,p=1$jO+QbPQTrULyVDOFSA9rJw$"
    "b4CQpDSn4viuBWx1g5m0T1TyVM9mNO2dpZu20iwIGJM";

}  // namespace

CredentialChecker::CredentialChecker(uv_loop_t* loop, std::string path)
    : loop_(loop), path_(std::move(path)) {}

void CredentialChecker::refresh() {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    if (size_ != -1 || ino_ != 0) TERN_LOG_WARNING("sasl_password_file %s: %s", path_.c_str(), std::strerror(errno));
    hashes_.clear();
    ino_ = 0;
    size_ = -1;
    return;
  }
  if (st.st_ino == ino_ && st.st_size == size_ && st.st_mtim.tv_sec == mtime_.tv_sec &&
      st.st_mtim.tv_nsec == mtime_.tv_nsec) {
    return;
  }
  auto text = tables::read_file_text(path_, "sasl_password_file", &st);
  hashes_.clear();
  if (!text) {
    TERN_LOG_WARNING("%s", text.error().message.c_str());
    ino_ = 0;
    size_ = -1;
    return;
  }
  std::vector<std::string> errors;
  hashes_ = tables::parse_credentials(*text, path_, &errors);
  for (const auto& e : errors) TERN_LOG_WARNING("%s", e.c_str());
  ino_ = st.st_ino;
  size_ = st.st_size;
  mtime_ = st.st_mtim;
}

void CredentialChecker::check(DovecotAuthRequest request, std::function<void(AuthOutcome)> done) {
  if (!dovecot_socket_.empty()) {
    struct Asked {
      DovecotAuthRequest request;
      AuthOutcome outcome;
      ~Asked() { sodium_memzero(request.password.data(), request.password.size()); }
    };
    auto asked = std::make_shared<Asked>(Asked{std::move(request), {}});
    run_on_work_pool(
        loop_, alive_, [asked, path = dovecot_socket_] { asked->outcome = dovecot_auth_check(path, asked->request, 10); },
        [asked, done = std::move(done)] { done(asked->outcome); });
    return;
  }
  const std::string& username = request.username;
  std::string password = std::move(request.password);
  refresh();
  auto it = hashes_.find(username);
  bool known = it != hashes_.end();
  struct Work {
    std::string hash;
    std::string password;
    bool known;
    bool ok = false;
    ~Work() { sodium_memzero(password.data(), password.size()); }
  };
  auto work = std::make_shared<Work>(Work{known ? it->second : kDummyHash, std::move(password), known});
  run_on_work_pool(
      loop_, alive_,
      [work] {
        bool match = crypto_pwhash_str_verify(work->hash.c_str(), work->password.data(),
                                              work->password.size()) == 0;
        work->ok = match && work->known;
      },
      [work, done = std::move(done)] {
        done(work->ok ? AuthOutcome{AuthVerdict::kOk, ""} : AuthOutcome{AuthVerdict::kFail, "authentication failed"});
      });
}

}  // namespace tern::lookup

// SmtpServer: smtpd's service object. It owns the listeners master handed over (roles smtp,
// submission, smtps, and the local submission socket).
#pragma once

#include <memory>
#include <vector>

#include "common/process/service.h"
#include "common/uv/handle.h"

namespace tern::smtpd {

class SmtpServer : public process::Service {
 public:
  static Result<std::unique_ptr<process::Service>> create(process::ServiceContext& context);
  void shutdown(std::function<void()> done) override;

 private:
  explicit SmtpServer(process::ServiceContext& context) : context_(context) {}
  Result<void> listen(int fd);
  static void on_connection(uv_stream_t* server, int status);

  process::ServiceContext& context_;
  std::vector<uv::UvHandle<uv_tcp_t>> listeners_;
};

}  // namespace tern::smtpd

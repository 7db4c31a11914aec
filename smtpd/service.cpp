// SmtpServer: accepting connections. Until the SMTP session lands, every client is told
// plainly that the service is not available (421 4.3.2) and disconnected.
#include "smtpd/service.h"

#include "common/log/log.h"

namespace tern::smtpd {

Result<std::unique_ptr<process::Service>> SmtpServer::create(process::ServiceContext& context) {
  std::unique_ptr<SmtpServer> server(new SmtpServer(context));
  for (const char* role : {"smtp", "submission", "smtps"}) {
    for (int fd : context.fds.with_role(role)) {
      if (auto ok = server->listen(fd); !ok) return std::unexpected(ok.error());
    }
  }
  return std::unique_ptr<process::Service>(std::move(server));
}

Result<void> SmtpServer::listen(int fd) {
  auto* raw = new uv_tcp_t;
  uv_tcp_init(context_.loop, raw);
  uv::UvHandle<uv_tcp_t> handle(raw);
  if (int rc = uv_tcp_open(raw, fd); rc != 0) return fail(std::string("uv_tcp_open: ") + uv_strerror(rc));
  raw->data = this;
  if (int rc = uv_listen(handle.stream(), 4096, &SmtpServer::on_connection); rc != 0) {
    return fail(std::string("listen: ") + uv_strerror(rc));
  }
  listeners_.push_back(std::move(handle));
  return {};
}

void SmtpServer::on_connection(uv_stream_t* server, int status) {
  auto* self = static_cast<SmtpServer*>(server->data);
  if (self == nullptr || status != 0) return;
  auto* client = new uv_tcp_t;
  uv_tcp_init(self->context_.loop, client);
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(client)) != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(client), [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
    return;
  }
  static const char kReply[] = "421 4.3.2 Service not available, closing transmission channel\r\n";
  uv_buf_t buf = uv_buf_init(const_cast<char*>(kReply), sizeof(kReply) - 1);
  uv_try_write(reinterpret_cast<uv_stream_t*>(client), &buf, 1);
  uv_close(reinterpret_cast<uv_handle_t*>(client), [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
}

void SmtpServer::shutdown(std::function<void()> done) {
  listeners_.clear();
  done();
}

}  // namespace tern::smtpd

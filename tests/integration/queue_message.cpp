// Writes a queue file for the integration test tools.
#include "tests/integration/queue_message.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/spool/file_io.h"
#include "common/spool/queue_id.h"
#include "common/spool/queue_writer.h"

namespace tern::testtools {

Result<std::string> write_queue_message(const std::string& spool, proto::Envelope envelope,
                                        const std::string& message) {
  spool::SystemClock clock;
  std::string queue_id = spool::QueueIdGenerator(clock, ::getpid()).next();
  envelope.set_queue_id(queue_id);
  envelope.set_arrival_time_us(clock.now_us());
  envelope.mutable_client()->set_protocol("LOCAL");
  auto dirfd = spool::open_directory(AT_FDCWD, spool);
  if (!dirfd) return std::unexpected(dirfd.error());
  auto writer = spool::QueueFileWriter::create(dirfd->get(), queue_id, envelope);
  if (!writer) return std::unexpected(writer.error());
  if (auto ok = writer->append(message); !ok) return std::unexpected(ok.error());
  if (auto ok = writer->commit(); !ok) return std::unexpected(ok.error());
  struct stat st {};
  if (::stat((spool + "/queue").c_str(), &st) == 0) {  // as smtpd would leave it: owned by tern
    std::string path = spool + "/queue/" + queue_id;
    if (::chown(path.c_str(), st.st_uid, st.st_gid) != 0) return fail_errno("chown " + path, errno);
  }
  return queue_id;
}

}  // namespace tern::testtools

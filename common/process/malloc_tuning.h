// tune_malloc_for_steady_load(): glibc malloc settings for a daemon that allocates and frees the
// same few hundred KiB for every message. By default glibc gives the top of the heap back to the
// kernel as soon as it is free and asks for it again on the next message: a brk() each time and
// page faults to touch the pages again (in a process with worker threads, a TLB shoot-down
// across CPUs too). Keeping a 16 MiB pad at the top of each heap ends it: on the benchmark VM
// (issue #6) smtpd's page faults fell from about 2 per message to about 0.1. The pad is address
// space, not memory, until a load has touched it.
#pragma once

namespace tern::process {

void tune_malloc_for_steady_load();

}  // namespace tern::process

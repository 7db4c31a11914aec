// tune_malloc_for_steady_load(): glibc malloc settings for a daemon that allocates and frees the
// same few hundred KiB for every message. By default glibc gives the top of the heap back to the
// kernel as soon as it is free and asks for it again on the next message: a brk() or madvise()
// each time, page faults to touch the pages again, and in a process with worker threads a TLB
// shoot-down across CPUs. Measured on the 2-vCPU benchmark VM (issue #6), that churn cost Tern
// about a fifth of its CPU at 10 sessions. Keeping a 16 MiB pad at the top of each heap ends it;
// the pad is address space, not memory, until a load has touched it.
#pragma once

namespace tern::process {

void tune_malloc_for_steady_load();

}  // namespace tern::process

// Direct socket writes ahead of libuv's write queue (see write_now.h).
#include "common/uv/write_now.h"

namespace tern::uv {

size_t write_now(uv_stream_t* stream, const uv_buf_t bufs[], unsigned count) {
  int n = uv_try_write(stream, bufs, count);
  return n > 0 ? static_cast<size_t>(n) : 0;
}

void skip_written(uv_buf_t bufs[], unsigned count, size_t done) {
  for (unsigned i = 0; i < count && done > 0; ++i) {
    size_t taken = done < bufs[i].len ? done : bufs[i].len;
    bufs[i].base += taken;
    bufs[i].len -= taken;
    done -= taken;
  }
}

}  // namespace tern::uv

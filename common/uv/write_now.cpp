// Direct socket writes ahead of libuv's write queue (see write_now.h).
#include "common/uv/write_now.h"

namespace tern::uv {

size_t write_now(uv_stream_t* stream, const uv_buf_t bufs[], unsigned count) {
  int n = uv_try_write(stream, bufs, count);
  return n > 0 ? static_cast<size_t>(n) : 0;
}

}  // namespace tern::uv

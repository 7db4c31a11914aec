// write_now(): writes what a socket takes at once, without queuing, before anything is queued.
// libuv re-arms the poll set (one epoll_ctl) after every write it queues, even one that went
// out at once; a reply or an IPC frame that fits the socket buffer — nearly all of them — then
// costs one write() and nothing else. The caller queues only the rest, with uv_write().
#pragma once

#include <uv.h>

#include <cstddef>

namespace tern::uv {

// Bytes written: 0 if the socket is full, writes are already queued, or the write failed — the
// caller then queues everything, and the queued write reports the error as it always did.
size_t write_now(uv_stream_t* stream, const uv_buf_t bufs[], unsigned count);

}  // namespace tern::uv

// Non-blocking read and write between a socket and a Buffer, with the edge-triggered
// bookkeeping every connection needs: a short read means the socket is drained (a new edge will
// come with new data), so the caller can skip the read that would only say EAGAIN. Loop thread.
#pragma once

#include <sys/types.h>

#include <cstddef>

#include "http/buffer.h"

namespace canaryd::event {

enum class IoResult {
  kOk,       // some bytes moved
  kDrained,  // some bytes moved (maybe none) and the socket has no more / no room now
  kEof,      // the peer closed its side (reads only)
  kError,    // the connection is broken (errno says why)
};

// Reads once into `in`, at most `max` bytes. *n gets the byte count. A short read counts as
// drained, except when the peer has closed its side (`peer_closed`, from EPOLLRDHUP/EPOLLHUP):
// its FIN came with the last data, no new edge will announce it, so the caller must read on
// until the end of stream.
IoResult ReadOnce(int fd, http::Buffer& in, size_t max, size_t* n, bool peer_closed = false);
// Writes as much of `out` as the socket takes; consumes what was written.
IoResult WriteAll(int fd, http::Buffer& out);
// Writes [data, data+len) directly; *written gets the count.
IoResult WriteRaw(int fd, const char* data, size_t len, size_t* written);

}  // namespace canaryd::event

#include "event/io.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace canaryd::event {

IoResult ReadOnce(int fd, http::Buffer& in, size_t max, size_t* n, bool peer_closed) {
  *n = 0;
  if (in.writable() < max) in.Reserve(max);
  ssize_t r;
  do {
    r = recv(fd, in.write_ptr(), max, 0);
  } while (r < 0 && errno == EINTR);
  if (r > 0) {
    in.Commit(static_cast<size_t>(r));
    *n = static_cast<size_t>(r);
    return static_cast<size_t>(r) < max && !peer_closed ? IoResult::kDrained : IoResult::kOk;
  }
  if (r == 0) return IoResult::kEof;
  if (errno == EAGAIN || errno == EWOULDBLOCK) return IoResult::kDrained;
  return IoResult::kError;
}

IoResult WriteRaw(int fd, const char* data, size_t len, size_t* written) {
  *written = 0;
  while (*written < len) {
    ssize_t w = send(fd, data + *written, len - *written, MSG_NOSIGNAL);
    if (w > 0) {
      *written += static_cast<size_t>(w);
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return IoResult::kDrained;
    return IoResult::kError;
  }
  return IoResult::kOk;
}

IoResult WriteAll(int fd, http::Buffer& out) {
  size_t written = 0;
  IoResult r = WriteRaw(fd, out.read_ptr(), out.readable(), &written);
  out.Consume(written);
  return r;
}

}  // namespace canaryd::event

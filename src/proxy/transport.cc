#include "proxy/transport.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "event/socket.h"

namespace canaryd::proxy {

void Transport::OnEvents(uint32_t events) {
  if (events & (EPOLLRDHUP | EPOLLHUP)) peer_closed_ = true;
  if (events & EPOLLOUT) writable_ = true;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) readable_ = true;
}

PlainTransport::~PlainTransport() {
  Close();
}

void PlainTransport::Close() {
  if (fd_ < 0) return;
  ::close(fd_);
  fd_ = -1;
}

event::IoResult PlainTransport::Read(http::Buffer& in, size_t max, size_t* n) {
  event::IoResult r = event::ReadOnce(fd_, in, max, n, peer_closed_);
  if (r != event::IoResult::kOk) readable_ = false;
  if (r == event::IoResult::kEof || r == event::IoResult::kError) peer_closed_ = true;
  return r;
}

event::IoResult PlainTransport::Write(http::Buffer& out) {
  event::IoResult r = event::WriteAll(fd_, out);
  if (r == event::IoResult::kDrained || r == event::IoResult::kError) writable_ = false;
  return r;
}

event::IoResult PlainTransport::WriteRaw(const char* data, size_t len, size_t* written) {
  event::IoResult r = event::WriteRaw(fd_, data, len, written);
  if (r == event::IoResult::kDrained || r == event::IoResult::kError) writable_ = false;
  return r;
}

void PlainTransport::ShutdownWrite() {
  if (fd_ >= 0) shutdown(fd_, SHUT_WR);
}

int PlainTransport::PendingError() const {
  return event::SocketError(fd_);
}

}  // namespace canaryd::proxy

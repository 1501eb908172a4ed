// BlackHoleListener: a loopback listener whose accept queue is full, so the kernel drops further
// SYNs and a connect to it neither succeeds nor fails until the client gives up: loopback's
// stand-in for a black-holed address, for connect-timeout tests. Test-only; one thread.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <vector>

namespace canaryd::testing {

class BlackHoleListener {
 public:
  BlackHoleListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(fd_, 0);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    // Fill the queue (backlog 0 still admits one): connects that complete are queued, the
    // first that does not complete within 200 ms shows the queue is full.
    for (int i = 0; i < 8; ++i) {
      int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a);
      fillers_.push_back(c);
      pollfd p{c, POLLOUT, 0};
      if (poll(&p, 1, 200) == 0) break;
    }
  }
  ~BlackHoleListener() {
    for (int c : fillers_) close(c);
    close(fd_);
  }
  BlackHoleListener(const BlackHoleListener&) = delete;
  BlackHoleListener& operator=(const BlackHoleListener&) = delete;
  uint16_t port() const { return port_; }

 private:
  int fd_;
  uint16_t port_;
  std::vector<int> fillers_;
};

}  // namespace canaryd::testing

#include "event/socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace canaryd::event {

Result<SocketAddress> SocketAddress::Parse(const std::string& host, uint16_t port) {
  SocketAddress a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    a.length = sizeof(sockaddr_in);
    return a;
  }
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    a.length = sizeof(sockaddr_in6);
    return a;
  }
  return InvalidArgument("\"" + host + "\" is not a numeric IPv4 or IPv6 address");
}

Result<SocketAddress> SocketAddress::ParseHostPort(const std::string& hp) {
  std::string host, port;
  if (!hp.empty() && hp[0] == '[') {
    size_t close = hp.find(']');
    if (close == std::string::npos || close + 1 >= hp.size() || hp[close + 1] != ':') {
      return InvalidArgument("\"" + hp + "\" is not [address]:port");
    }
    host = hp.substr(1, close - 1);
    port = hp.substr(close + 2);
  } else {
    size_t colon = hp.rfind(':');
    if (colon == std::string::npos) return InvalidArgument("\"" + hp + "\" is not host:port");
    host = hp.substr(0, colon);
    port = hp.substr(colon + 1);
  }
  char* end = nullptr;
  long p = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || p < 0 || p > 65535) {
    return InvalidArgument("\"" + port + "\" is not a port number");
  }
  if (host == "localhost") host = "127.0.0.1";
  return Parse(host, static_cast<uint16_t>(p));
}

uint16_t SocketAddress::port() const {
  if (storage.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
}

std::string SocketAddress::host() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (storage.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr, buf, sizeof buf);
  } else {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr, buf,
              sizeof buf);
  }
  return buf;
}

std::string SocketAddress::ToString() const {
  if (storage.ss_family == AF_INET6) return "[" + host() + "]:" + std::to_string(port());
  return host() + ":" + std::to_string(port());
}

bool SocketAddress::IsLoopback() const {
  if (storage.ss_family == AF_INET) {
    uint32_t addr = ntohl(reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr.s_addr);
    return (addr >> 24) == 127;
  }
  const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&storage);
  return IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
}

Result<int> Listen(const SocketAddress& addr, bool reuse_port, int backlog) {
  int fd = socket(addr.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return IoError(std::string("socket: ") + strerror(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (bind(fd, addr.sa(), addr.length) != 0) {
    int err = errno;
    close(fd);
    return IoError("bind " + addr.ToString() + ": " + strerror(err));
  }
  if (listen(fd, backlog) != 0) {
    int err = errno;
    close(fd);
    return IoError("listen " + addr.ToString() + ": " + strerror(err));
  }
  return fd;
}

Status ProbeBind(const SocketAddress& addr) {
  int fd = socket(addr.storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return IoError(std::string("socket: ") + strerror(errno));
  int one = 1;
  // SO_REUSEADDR only skips connections of an earlier run still in TIME_WAIT; a listening
  // socket still conflicts.
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int rc = bind(fd, addr.sa(), addr.length);
  int err = errno;
  close(fd);
  if (rc != 0) {
    return IoError("bind " + addr.ToString() + ": " + strerror(err) +
                   (err == EADDRINUSE ? " (another process holds it)" : ""));
  }
  return Status::Ok();
}

Result<SocketAddress> LocalAddress(int fd) {
  SocketAddress a;
  a.length = sizeof a.storage;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&a.storage), &a.length) != 0) {
    return IoError(std::string("getsockname: ") + strerror(errno));
  }
  return a;
}

Result<int> ConnectNonBlocking(const SocketAddress& addr) {
  int fd = socket(addr.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return IoError(std::string("socket: ") + strerror(errno));
  SetNoDelay(fd);
  if (connect(fd, addr.sa(), addr.length) != 0 && errno != EINPROGRESS) {
    int err = errno;
    close(fd);
    return Unavailable("connect " + addr.ToString() + ": " + strerror(err));
  }
  return fd;
}

int SocketError(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

void SetNoDelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace canaryd::event

// Small wrappers over BSD sockets for the event loops: listening sockets (with SO_REUSEPORT so
// each worker has its own accept queue), non-blocking connects, addresses. Plain functions;
// errors come back as Status values. Any thread.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "common/status.h"

namespace canaryd::event {

// An IPv4 or IPv6 socket address.
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  // Parses a numeric host ("127.0.0.1", "::1", "0.0.0.0") and a port.
  static Result<SocketAddress> Parse(const std::string& host, uint16_t port);
  // "host:port" or "[v6]:port".
  static Result<SocketAddress> ParseHostPort(const std::string& host_port);
  const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&storage); }
  uint16_t port() const;
  std::string host() const;
  std::string ToString() const;  // "127.0.0.1:8080", "[::1]:8080"
  bool IsLoopback() const;
};

// A non-blocking listening socket bound to addr. reuse_port lets several workers bind the
// same address, each with its own accept queue.
Result<int> Listen(const SocketAddress& addr, bool reuse_port, int backlog = 4096);
// Whether addr can be bound by a socket WITHOUT SO_REUSEPORT: fails when any other socket holds
// it (another process, or another canaryd that would otherwise share its traffic through
// SO_REUSEPORT). Binds and closes at once.
Status ProbeBind(const SocketAddress& addr);
// The address a socket is bound to (to learn the port after binding port 0).
Result<SocketAddress> LocalAddress(int fd);
// Starts a non-blocking connect; the fd becomes writable when it completes (check SO_ERROR).
Result<int> ConnectNonBlocking(const SocketAddress& addr);
// The pending error of a socket (SO_ERROR), 0 when connected.
int SocketError(int fd);
void SetNoDelay(int fd);

}  // namespace canaryd::event

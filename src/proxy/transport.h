// Transport: the byte stream under one HTTP connection, client side or upstream side, and its
// readiness as the edge-triggered loop reports it. The codecs and the request path read and write
// only through it, so TLS (and later a multiplexed HTTP/2 connection's stream of frames) plugs in
// as another Transport without touching parsing or routing. PlainTransport is a TCP socket.
// Owned by one connection; loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>

#include "event/io.h"
#include "http/buffer.h"

namespace canaryd::proxy {

class Transport {
 public:
  virtual ~Transport() = default;

  // Reads once into `in`, at most `max` bytes; *n gets the count. Clears readable() when the
  // source is drained or ended.
  virtual event::IoResult Read(http::Buffer& in, size_t max, size_t* n) = 0;
  // Writes as much of `out` as the transport takes, consuming it. Clears writable() when full.
  virtual event::IoResult Write(http::Buffer& out) = 0;
  // Writes [data, data + len) without a buffer in between; *written gets the count.
  virtual event::IoResult WriteRaw(const char* data, size_t len, size_t* written) = 0;
  // No more bytes from this side (the peer reads the end of stream).
  virtual void ShutdownWrite() = 0;
  // The connection's pending error (0: none), for a connect that completed.
  virtual int PendingError() const = 0;

  // Records what an epoll event says: EPOLLIN/EPOLLRDHUP make it readable, EPOLLOUT writable,
  // EPOLLRDHUP/EPOLLHUP mean the peer closed its side.
  void OnEvents(uint32_t events);
  bool readable() const { return readable_; }
  bool writable() const { return writable_; }
  bool peer_closed() const { return peer_closed_; }
  void set_writable(bool v) { writable_ = v; }

 protected:
  bool readable_ = false, writable_ = false, peer_closed_ = false;
};

// A non-blocking TCP socket it owns (closes it when destroyed or on Close()).
class PlainTransport final : public Transport {
 public:
  explicit PlainTransport(int fd) : fd_(fd) {}
  ~PlainTransport() override;
  PlainTransport(const PlainTransport&) = delete;
  PlainTransport& operator=(const PlainTransport&) = delete;

  event::IoResult Read(http::Buffer& in, size_t max, size_t* n) override;
  event::IoResult Write(http::Buffer& out) override;
  event::IoResult WriteRaw(const char* data, size_t len, size_t* written) override;
  void ShutdownWrite() override;
  int PendingError() const override;

  int fd() const { return fd_; }
  void Close();

 private:
  int fd_;
};

}  // namespace canaryd::proxy

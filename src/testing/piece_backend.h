// PieceBackend: a test backend on loopback that records every request it receives, byte for
// byte, and answers each with bytes a test chooses, written in the pieces the test chooses (a
// head split at byte N, or one byte per write), with a pause between pieces so that the peer
// reads them separately. It exists to test parsers the way an attacker would: no response
// arrives in one read. Test-only; the reply function runs on the backend's connection threads.
#pragma once

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "event/socket.h"
#include "http/parser.h"

namespace canaryd::testing {

class PieceBackend {
 public:
  // What to send for one request: the bytes and where to cut them. An empty `cuts` sends the
  // bytes in one write; kOneBytePerWrite sends each byte on its own.
  struct Reply {
    std::string bytes;
    std::vector<size_t> cuts;  // ascending offsets in (0, bytes.size())
    bool one_byte_per_write = false;
    bool close_after = false;
    std::chrono::milliseconds pause{15};  // between pieces
  };
  // Receives the request as it arrived (head and body), returns the reply.
  using ReplyFn = std::function<Reply(const std::string& request)>;

  explicit PieceBackend(ReplyFn reply) : reply_(std::move(reply)) {
    auto addr = event::SocketAddress::Parse("127.0.0.1", 0);
    listen_fd_ = *event::Listen(*addr, false);
    port_ = event::LocalAddress(listen_fd_)->port();
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }
  ~PieceBackend() {
    stop_ = true;
    accept_thread_.join();
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lock(mu_);
      threads.swap(threads_);
    }
    for (std::thread& t : threads) t.join();
    close(listen_fd_);
  }
  PieceBackend(const PieceBackend&) = delete;
  PieceBackend& operator=(const PieceBackend&) = delete;

  uint16_t port() const { return port_; }
  // Every complete request received so far, in order of completion.
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  void Clear() {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.clear();
  }

 private:
  void AcceptLoop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      int fd = accept4(listen_fd_, nullptr, nullptr, 0);
      if (fd < 0) continue;
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      std::lock_guard<std::mutex> lock(mu_);
      threads_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  void Serve(int fd) {
    http::Parser parser(http::Parser::Kind::kRequest);
    parser.Reset();
    std::string buf;
    size_t parsed = 0;
    char tmp[65536];
    while (!stop_) {
      while (parsed < buf.size() || parser.completion_pending()) {
        size_t used = 0;
        auto s = parser.Feed(buf.data(), buf.data() + parsed, buf.size() - parsed, &used);
        parsed += used;
        if (s == http::Parser::State::kHeadComplete) {
          parser.Resume();
          continue;
        }
        if (s == http::Parser::State::kError) {
          close(fd);
          return;
        }
        if (s != http::Parser::State::kMessageComplete) break;
        std::string request = buf.substr(0, parsed);
        buf.erase(0, parsed);
        parsed = 0;
        parser.Reset();
        {
          std::lock_guard<std::mutex> lock(mu_);
          requests_.push_back(request);
        }
        Reply r = reply_(request);
        if (!Write(fd, r) || r.close_after) {
          close(fd);
          return;
        }
      }
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      ssize_t n = recv(fd, tmp, sizeof tmp, 0);
      if (n <= 0) break;
      buf.append(tmp, static_cast<size_t>(n));
    }
    close(fd);
  }

  bool Write(int fd, const Reply& r) {
    std::vector<size_t> cuts = r.cuts;
    if (r.one_byte_per_write) {
      cuts.clear();
      for (size_t i = 1; i < r.bytes.size(); ++i) cuts.push_back(i);
    }
    size_t from = 0;
    for (size_t i = 0; i <= cuts.size(); ++i) {
      size_t to = i < cuts.size() ? cuts[i] : r.bytes.size();
      if (i > 0) std::this_thread::sleep_for(r.pause);
      if (to > from && send(fd, r.bytes.data() + from, to - from, MSG_NOSIGNAL) !=
                           static_cast<ssize_t>(to - from)) {
        return false;
      }
      from = to;
    }
    return true;
  }

  ReplyFn reply_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread accept_thread_;
  std::mutex mu_;
  std::vector<std::thread> threads_;
  std::vector<std::string> requests_;
};

}  // namespace canaryd::testing

// Test helpers for talking to servers on loopback: a free port, and a blocking HTTP/1.1 client
// that sends raw bytes and reads whole responses (delimited with the project's own parser).
// Test-only; one client per thread.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "http/parser.h"

namespace canaryd::testing {

// A port that was free a moment ago (bind to 0, read it, close).
inline uint16_t PickFreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  uint16_t port = ntohs(a.sin_port);
  close(fd);
  return port;
}

struct Response {
  int status = 0;
  std::string head;  // status line and headers, as received
  std::string body;  // de-chunked
  bool ok = false;   // a complete response was read
  std::string Header(const std::string& lower_name) const {
    size_t pos = 0;
    while ((pos = head.find("\r\n", pos)) != std::string::npos) {
      pos += 2;
      size_t colon = head.find(':', pos);
      size_t eol = head.find("\r\n", pos);
      if (colon == std::string::npos || eol == std::string::npos || colon > eol) continue;
      std::string name = head.substr(pos, colon - pos);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (name == lower_name) {
        size_t v = colon + 1;
        while (v < eol && head[v] == ' ') ++v;
        return head.substr(v, eol - v);
      }
    }
    return "";
  }
};

class Client {
 public:
  explicit Client(uint16_t port, int timeout_ms = 5000) : timeout_ms_(timeout_ms) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~Client() {
    if (fd_ >= 0) close(fd_);
  }
  bool connected() const { return connected_; }
  // How long Read() waits for a response from now on.
  void set_timeout_ms(int ms) { timeout_ms_ = ms; }

  bool Send(const std::string& bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  // Reads one response (for a request with method `method`).
  Response Read(bool head_request = false) {
    Response r;
    http::Parser parser(http::Parser::Kind::kResponse);
    parser.Reset();
    parser.set_no_body(head_request);
    size_t parsed = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms_);
    while (true) {
      if (parsed == buf_.size() && !parser.completion_pending()) {
        if (!Fill(deadline)) {
          if (eof_ && parser.Finish() == http::Parser::State::kMessageComplete) {
            r.ok = true;
            for (const auto& p : parser.body()) r.body.append(p.data, p.length);
          }
          return r;
        }
      }
      size_t used = 0;
      auto s = parser.Feed(buf_.data(), buf_.data() + parsed, buf_.size() - parsed, &used);
      for (const auto& p : parser.body()) r.body.append(p.data, p.length);
      parsed += used;
      if (s == http::Parser::State::kError) return r;
      if (s == http::Parser::State::kHeadComplete) {
        r.status = parser.head().status;
        r.head.assign(buf_.data(), parsed);
        parser.Resume();
      }
      if (s == http::Parser::State::kMessageComplete) {
        if (r.status >= 100 && r.status < 200 && r.status != 101) {  // skip interim responses
          buf_.erase(0, parsed);
          parsed = 0;
          parser.Reset();
          r = Response();
          continue;
        }
        buf_.erase(0, parsed);
        r.ok = true;
        return r;
      }
    }
  }

  Response Request(const std::string& bytes, bool head_request = false) {
    if (!Send(bytes)) return Response();
    return Read(head_request);
  }

  // True when the server closed the connection (reads EOF within the timeout).
  bool ClosedByPeer() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms_);
    while (!eof_) {
      if (!Fill(deadline)) break;
    }
    return eof_;
  }
  const std::string& leftover() const { return buf_; }
  // Reads until what is buffered and not yet parsed contains `text` (true) or the timeout
  // passes or the server closes (false). Read() then parses from the start of the buffer.
  bool WaitForBytes(const std::string& text) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms_);
    while (buf_.find(text) == std::string::npos) {
      if (!Fill(deadline)) return false;
    }
    return true;
  }

 private:
  bool Fill(std::chrono::steady_clock::time_point deadline) {
    if (eof_) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) return false;
    char tmp[65536];
    ssize_t n = recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  int timeout_ms_;
  bool connected_ = false;
  bool eof_ = false;
  std::string buf_;
};

}  // namespace canaryd::testing

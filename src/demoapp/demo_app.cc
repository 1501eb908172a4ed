#include "demoapp/demo_app.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <unordered_set>

#include "event/event_loop.h"
#include "event/io.h"
#include "event/socket.h"
#include "http/buffer.h"
#include "http/parser.h"
#include "upstream/load_balancer.h"

namespace canaryd::demoapp {
namespace {

constexpr size_t kReadSize = 16 * 1024;
constexpr size_t kStreamChunk = 64 * 1024;

const char* ColorOf(const std::string& version) {
  static const char* kColors[] = {"#2e7d32", "#1565c0", "#c62828", "#6a1b9a", "#ef6c00"};
  if (version.size() >= 2 && version[0] == 'v' && version[1] >= '1' && version[1] <= '5') {
    return kColors[version[1] - '1'];
  }
  size_t h = std::hash<std::string>{}(version);
  return kColors[h % 5];
}

bool WantsHtml(std::string_view accept) {
  return accept.find("text/html") != std::string_view::npos;
}

}  // namespace

std::string VersionPage(const std::string& version) {
  std::string page =
      "<!doctype html><html><head><meta charset=\"utf-8\"><title>canary " + version +
      "</title><style>html,body{height:100%;margin:0}body{display:flex;align-items:center;"
      "justify-content:center;background:" +
      ColorOf(version) +
      ";color:#fff;font-family:sans-serif}h1{font-size:30vmin;margin:0}</style></head>"
      "<body><h1 id=\"version\">" +
      version + "</h1></body></html>\n";
  return page;
}

class DemoApp::Worker final : public event::IoHandler {
 public:
  Worker(const Options& options, int listen_fd, uint64_t seed)
      : options_(options), listen_fd_(listen_fd), random_(seed) {
    page_ = VersionPage(options.version);
    text_ = options.version;
  }
  ~Worker() override;

  event::EventLoop& loop() { return loop_; }
  void Run() {
    loop_.AddListener(listen_fd_, this);
    loop_.Run();
  }

  void OnIo(uint32_t) override;

 private:
  class Connection;
  friend class Connection;

  const Options& options_;
  int listen_fd_;
  event::EventLoop loop_;
  upstream::Random random_;
  std::string page_;
  std::string text_;
  std::unordered_set<Connection*> connections_;
};

class DemoApp::Worker::Connection final : public event::IoHandler {
 public:
  Connection(Worker* w, int fd)
      : w_(w),
        fd_(fd),
        parser_(http::Parser::Kind::kRequest),
        delay_(&w->loop_, [this] { SendPending(); }) {
    parser_.Reset();
  }
  ~Connection() override {
    if (fd_ >= 0) close(fd_);
  }

  void OnIo(uint32_t events) override {
    if (closed_) return;
    if (events & (EPOLLERR | EPOLLHUP)) return Close();
    if (events & EPOLLOUT) writable_ = true;
    if (events & (EPOLLIN | EPOLLRDHUP)) readable_ = true;
    if (events & EPOLLRDHUP) peer_closed_ = true;
    Flush();
    Process();
  }

 private:
  enum class Reply { kPage, kText, kHealth, kEcho, kBytes, kReceived, kError, kNotFound, kUpgrade };

  void Process() {
    if (tunnel_) return Echo();
    while (!closed_ && !waiting_ && !streaming_) {
      if (parsed_ == in_.readable() && !parser_.completion_pending()) {
        if (!readable_) return;
        size_t n = 0;
        event::IoResult r = event::ReadOnce(fd_, in_, kReadSize, &n, peer_closed_);
        if (r == event::IoResult::kDrained) readable_ = false;
        if (r == event::IoResult::kEof || r == event::IoResult::kError) return Close();
        if (n == 0) return;
      }
      size_t used = 0;
      http::Parser::State s =
          parser_.Feed(in_.read_ptr(), in_.read_ptr() + parsed_, in_.readable() - parsed_, &used);
      parsed_ += used;
      for (const auto& piece : parser_.body()) body_bytes_ += piece.length;
      switch (s) {
        case http::Parser::State::kNeedMore:
          if (parser_.head_complete()) Discard();  // body bytes: count and drop
          break;
        case http::Parser::State::kHeadComplete:
          Decide();
          parser_.Resume();
          Discard();
          break;
        case http::Parser::State::kMessageComplete:
          Discard();
          Respond();
          break;
        case http::Parser::State::kError:
          SendError(parser_.error_status());
          return;
      }
    }
  }

  void Echo() {
    if (parsed_ > 0) {  // bytes that came after the upgrade request
      in_.Consume(parsed_);
      parsed_ = 0;
    }
    while (!closed_) {
      if (in_.readable() > 0) {
        out_.Append(in_.read_ptr(), in_.readable());
        in_.Consume(in_.readable());
        Flush();
      }
      if (!readable_) return;
      size_t n = 0;
      event::IoResult r = event::ReadOnce(fd_, in_, kReadSize, &n, peer_closed_);
      if (r == event::IoResult::kDrained) readable_ = false;
      if (r == event::IoResult::kEof || r == event::IoResult::kError) return Close();
    }
  }

  // Drops parsed body bytes (the head was read in Decide()).
  void Discard() {
    in_.Consume(parsed_);
    parsed_ = 0;
  }

  void Decide() {
    const http::MessageHead& h = parser_.head();
    const char* base = in_.read_ptr();
    std::string_view path, query;
    http::SplitTarget(h.url.in(base), &path, &query);
    keep_alive_ = h.keep_alive;
    http10_ = h.http_minor == 0;
    head_request_ = h.method == HTTP_HEAD;
    body_bytes_ = 0;
    reply_ = Reply::kNotFound;
    if (path == "/healthz") {
      reply_ = Reply::kHealth;
    } else if (path == "/ws" && h.upgrade) {
      reply_ = Reply::kUpgrade;
    } else if (path == "/echo") {
      reply_ = Reply::kEcho;
      echo_.clear();
      echo_ += std::string(h.method_name.in(base)) + " " + std::string(h.url.in(base)) + "\n";
      for (const auto& hs : h.headers) {
        echo_ += std::string(hs.name.in(base)) + ": " + std::string(hs.value.in(base)) + "\n";
      }
    } else if (path.substr(0, 7) == "/bytes/") {
      std::string_view n = path.substr(7);
      uint64_t v = 0;
      auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), v);
      if (ec == std::errc() && p == n.data() + n.size()) {
        reply_ = Reply::kBytes;
        stream_left_ = v;
      }
    } else if (h.method == HTTP_POST || h.method == HTTP_PUT) {
      reply_ = Reply::kReceived;
    } else if (h.method == HTTP_GET || h.method == HTTP_HEAD) {
      bool html = WantsHtml(h.Find(base, "accept")) && query.find("format=text") == query.npos;
      reply_ = html ? Reply::kPage : Reply::kText;
    }
    if (reply_ != Reply::kHealth && w_->options_.error_rate > 0) {
      double draw = static_cast<double>(w_->random_.Below(1'000'000)) / 1'000'000.0;
      if (draw < w_->options_.error_rate) reply_ = Reply::kError;
    }
  }

  void Respond() {
    parser_.Reset();
    int64_t delay = w_->options_.latency_nanos;
    if (w_->options_.jitter_nanos > 0) {
      uint64_t span = static_cast<uint64_t>(2 * w_->options_.jitter_nanos);
      delay += static_cast<int64_t>(w_->random_.Below(span + 1)) - w_->options_.jitter_nanos;
    }
    if (delay > 0 && reply_ != Reply::kHealth) {
      waiting_ = true;
      delay_.Arm(delay);
      return;
    }
    SendPending();
  }

  void SendPending() {
    waiting_ = false;
    switch (reply_) {
      case Reply::kPage:
        Send(200, "text/html; charset=utf-8", w_->page_);
        break;
      case Reply::kText:
        Send(200, "text/plain", w_->text_);
        break;
      case Reply::kHealth:
        Send(200, "text/plain", "ok\n");
        break;
      case Reply::kEcho:
        Send(200, "text/plain", echo_);
        break;
      case Reply::kReceived:
        Send(200, "text/plain", "received " + std::to_string(body_bytes_) + " bytes\n");
        break;
      case Reply::kError:
        Send(503, "text/plain", "injected error\n");
        break;
      case Reply::kNotFound:
        Send(404, "text/plain", "not found\n");
        break;
      case Reply::kBytes:
        StartStream();
        break;
      case Reply::kUpgrade:
        // Switches to a byte echo: enough to show a proxy tunnels an upgraded connection.
        out_.Append(
            "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: "
            "upgrade\r\n\r\n");
        tunnel_ = true;
        break;
    }
    Flush();
    if (!closed_) Process();
  }

  void Head(int status, const char* type, uint64_t length) {
    const char* reason = status == 200   ? "OK"
                         : status == 404 ? "Not Found"
                         : status == 503 ? "Service Unavailable"
                                         : "Bad Request";
    out_.Append(http10_ ? "HTTP/1.0 " : "HTTP/1.1 ");
    out_.AppendDecimal(status);
    out_.Append(" ");
    out_.Append(reason);
    out_.Append("\r\ncontent-type: ");
    out_.Append(type);
    out_.Append("\r\nx-version: ");
    out_.Append(w_->options_.version);
    out_.Append("\r\ncontent-length: ");
    out_.AppendDecimal(length);
    if (!keep_alive_) {
      out_.Append("\r\nconnection: close");
    } else if (http10_) {
      out_.Append("\r\nconnection: keep-alive");
    }
    out_.Append("\r\n\r\n");
  }

  void Send(int status, const char* type, std::string_view body) {
    Head(status, type, body.size());
    if (!head_request_) out_.Append(body);
    if (!keep_alive_) close_after_write_ = true;
  }

  void StartStream() {
    Head(200, "application/octet-stream", stream_left_);
    if (head_request_) stream_left_ = 0;
    streaming_ = stream_left_ > 0;
    if (!keep_alive_) close_after_write_ = true;
  }

  void Flush() {
    while (!closed_) {
      if (!out_.empty()) {
        if (!writable_) return;
        event::IoResult r = event::WriteAll(fd_, out_);
        if (r == event::IoResult::kError) return Close();
        if (r == event::IoResult::kDrained) {
          writable_ = false;
          return;
        }
        out_.ShrinkIfEmpty();
      }
      if (streaming_ && stream_left_ > 0) {
        static const std::string kChunk(kStreamChunk, 'x');
        size_t n = stream_left_ < kStreamChunk ? stream_left_ : kStreamChunk;
        out_.Append(kChunk.data(), n);
        stream_left_ -= n;
        continue;
      }
      if (streaming_) {
        streaming_ = false;
        if (!close_after_write_) {
          w_->loop_.Defer([this] {
            if (!closed_) Process();
          });
        }
      }
      if (close_after_write_) {
        shutdown(fd_, SHUT_WR);
        return Close();
      }
      return;
    }
  }

  void SendError(int status) {
    keep_alive_ = false;
    reply_ = Reply::kNotFound;
    const char* body = status == 431 ? "request header fields too large\n" : "bad request\n";
    Head(status, "text/plain", std::strlen(body));
    out_.Append(body);
    close_after_write_ = true;
    Flush();
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    delay_.Cancel();
    w_->loop_.Remove(fd_);
    close(fd_);
    fd_ = -1;
    Worker* w = w_;
    w->loop_.Defer([w, self = this] {
      w->connections_.erase(self);
      delete self;
    });
  }

  Worker* w_;
  int fd_;
  http::Parser parser_;
  http::Buffer in_, out_;
  size_t parsed_ = 0;
  event::Timer delay_;
  Reply reply_ = Reply::kNotFound;
  std::string echo_;
  uint64_t body_bytes_ = 0;
  uint64_t stream_left_ = 0;
  bool readable_ = false, writable_ = true;
  bool keep_alive_ = true, http10_ = false, head_request_ = false;
  bool waiting_ = false, streaming_ = false, close_after_write_ = false, closed_ = false;
  bool tunnel_ = false;
  bool peer_closed_ = false;  // EPOLLRDHUP seen: read until the end of stream
};

DemoApp::Worker::~Worker() {
  for (Connection* c : connections_) delete c;
  if (listen_fd_ >= 0) close(listen_fd_);
}

void DemoApp::Worker::OnIo(uint32_t) {
  while (true) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    event::SetNoDelay(fd);
    auto* c = new Connection(this, fd);
    connections_.insert(c);
    loop_.Add(fd, c);
  }
}

DemoApp::DemoApp(Options options) : options_(std::move(options)) {}

DemoApp::~DemoApp() {
  Stop();
}

Status DemoApp::Start() {
  Result<event::SocketAddress> addr = event::SocketAddress::Parse(options_.host, options_.port);
  if (!addr.ok()) return addr.status();
  int workers = options_.workers < 1 ? 1 : options_.workers;
  for (int i = 0; i < workers; ++i) {
    Result<int> fd = event::Listen(*addr, /*reuse_port=*/true);
    if (!fd.ok()) return fd.status();
    if (i == 0 && options_.port == 0) {
      // Port 0: the first socket picks the port; the others bind the same one.
      Result<event::SocketAddress> bound = event::LocalAddress(*fd);
      if (!bound.ok()) return bound.status();
      addr = event::SocketAddress::Parse(options_.host, bound->port());
    }
    workers_.push_back(std::make_unique<Worker>(options_, *fd, options_.seed + i));
  }
  port_ = addr->port();
  for (auto& w : workers_) threads_.emplace_back([worker = w.get()] { worker->Run(); });
  return Status::Ok();
}

void DemoApp::Stop() {
  for (auto& w : workers_) w->loop().Stop();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  workers_.clear();
}

}  // namespace canaryd::demoapp

#include "api/admin_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <llhttp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>

namespace canaryd::api {
namespace {

using Clock = std::chrono::steady_clock;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
      .count();
}

std::string StatusBody(int code, const std::string& reason, const std::string& message) {
  // A Kubernetes Status object, built by hand: this file must not depend on the API layer.
  std::string escaped;
  for (char c : message) {
    if (c == '"' || c == '\\') {
      escaped += '\\';
      escaped += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      escaped += ' ';
    } else {
      escaped += c;
    }
  }
  return "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
         "\"message\":\"" +
         escaped + "\",\"reason\":\"" + reason + "\",\"code\":" + std::to_string(code) + "}\n";
}

HttpResponse ErrorResponse(int code, const std::string& reason, const std::string& message) {
  return HttpResponse::Json(code, StatusBody(code, reason, message));
}

// What a connection is doing, to choose which one to evict when the server is full (see the
// header): the evictable phases are those that wait on the client.
enum class Phase : int { kNew, kIdle, kReading, kBusy, kStalled, kStreaming, kEvicted };

bool Evictable(Phase p) {
  return p == Phase::kNew || p == Phase::kIdle || p == Phase::kReading || p == Phase::kStalled;
}

// A connection's phase, moved by its own thread and, to kEvicted, by the thread that evicts it:
// compare-and-swap makes the two exclusive, so that a connection that has started to handle a
// request is never evicted, and an evicted one never starts.
class PhaseTracker {
 public:
  Phase Get() const { return phase_.load(); }
  // When the connection entered its phase: how long it has waited on its client.
  int64_t since_ms() const { return since_ms_.load(std::memory_order_relaxed); }
  // Moves to `next`; false when the connection has been evicted.
  bool Enter(Phase next) {
    Phase p = phase_.load();
    while (p != Phase::kEvicted) {
      if (p == next) return true;
      if (phase_.compare_exchange_weak(p, next)) {
        since_ms_.store(NowMs(), std::memory_order_relaxed);
        return true;
      }
    }
    return false;
  }
  // Marks the connection evicted if it is waiting on its client; whether it was.
  bool Evict() {
    Phase p = phase_.load();
    while (Evictable(p)) {
      if (phase_.compare_exchange_weak(p, Phase::kEvicted)) return true;
    }
    return false;
  }

 private:
  std::atomic<Phase> phase_{Phase::kNew};
  std::atomic<int64_t> since_ms_{NowMs()};
};

// Waits up to timeout_ms for `fd` to take more data; meanwhile the connection (when `phase` is
// given) counts as stalled: a client that does not read may be evicted.
bool WaitWritable(int fd, int timeout_ms, PhaseTracker* phase) {
  Phase before = phase != nullptr ? phase->Get() : Phase::kBusy;
  if (phase != nullptr && !phase->Enter(Phase::kStalled)) return false;
  pollfd p{fd, POLLOUT, 0};
  int r = poll(&p, 1, timeout_ms);
  if (phase != nullptr && !phase->Enter(before)) return false;
  return r > 0 && !(p.revents & (POLLERR | POLLHUP | POLLNVAL));
}

// Writes all of `data`, waiting up to timeout_ms for the socket to accept each part.
bool WriteAll(int fd, std::string_view data, int timeout_ms, PhaseTracker* phase) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!WaitWritable(fd, timeout_ms, phase)) return false;
      continue;
    }
    return false;
  }
  return true;
}

std::string SerializeHead(const HttpResponse& r, bool keep_alive, bool chunked,
                          size_t content_length) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + ReasonPhrase(r.status) + "\r\n";
  bool has_type = false;
  for (const HttpHeader& h : r.headers) {
    if (EqualsIgnoreCase(h.name, "content-length") ||
        EqualsIgnoreCase(h.name, "transfer-encoding") || EqualsIgnoreCase(h.name, "connection")) {
      continue;
    }
    // CORS is never granted (request_guard.h), whatever a handler says.
    constexpr std::string_view kCors = "access-control-";
    if (h.name.size() >= kCors.size() &&
        EqualsIgnoreCase(std::string_view(h.name).substr(0, kCors.size()), kCors)) {
      continue;
    }
    if (EqualsIgnoreCase(h.name, "content-type")) has_type = true;
    out += h.name;
    out += ": ";
    out += h.value;
    out += "\r\n";
  }
  if (!has_type) out += "Content-Type: text/plain; charset=utf-8\r\n";
  if (chunked) {
    out += "Transfer-Encoding: chunked\r\n";
  } else {
    out += "Content-Length: " + std::to_string(content_length) + "\r\n";
  }
  out += keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  out += "Cache-Control: no-cache, private\r\n\r\n";
  return out;
}

std::string Chunk(std::string_view data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  std::string out = size;
  out.append(data);
  out += "\r\n";
  return out;
}

std::string AddressText(const sockaddr_storage& a) {
  char text[INET6_ADDRSTRLEN] = {};
  if (a.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&a)->sin_addr, text, sizeof text);
  } else if (a.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&a)->sin6_addr, text, sizeof text);
  }
  return text;
}

void Sha256(std::string_view s, unsigned char out[32]) {
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), out);
}

// One connection's byte stream: the socket itself, or TLS over it.
class Wire {
 public:
  Wire(int fd, SSL* ssl, PhaseTracker* phase) : fd_(fd), ssl_(ssl), phase_(phase) {}
  ~Wire() {
    if (ssl_ != nullptr) {
      if (handshake_done_) SSL_shutdown(ssl_);  // best effort close_notify
      SSL_free(ssl_);
    }
  }
  Wire(const Wire&) = delete;
  Wire& operator=(const Wire&) = delete;

  bool tls() const { return ssl_ != nullptr; }
  // The TLS handshake, all of it within timeout_ms (a client that trickles its hello must not
  // hold the connection for a socket timeout per byte). True for plain connections.
  bool Handshake(int timeout_ms) {
    if (ssl_ == nullptr) return true;
    const int flags = fcntl(fd_, F_GETFL);
    fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
    const int64_t deadline = NowMs() + timeout_ms;
    while (true) {
      int r = SSL_accept(ssl_);
      if (r == 1) {
        handshake_done_ = true;
        break;
      }
      int e = SSL_get_error(ssl_, r);
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) break;
      pollfd p{fd_, static_cast<short>(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT), 0};
      int64_t left = deadline - NowMs();
      if (left <= 0 || poll(&p, 1, static_cast<int>(left)) <= 0) break;
    }
    fcntl(fd_, F_SETFL, flags);
    return handshake_done_;
  }
  // Whether decrypted bytes wait that poll() cannot see.
  bool Pending() const { return ssl_ != nullptr && SSL_pending(ssl_) > 0; }
  // >0 bytes read, 0 at the end of the stream, <0 on an error.
  ssize_t Read(char* buf, size_t n, bool dont_wait = false) {
    if (ssl_ == nullptr) return recv(fd_, buf, n, dont_wait ? MSG_DONTWAIT : 0);
    int r = SSL_read(ssl_, buf, static_cast<int>(std::min<size_t>(n, 1 << 30)));
    if (r > 0) return r;
    int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_WANT_READ && dont_wait) {
      errno = EAGAIN;
      return -1;
    }
    return e == SSL_ERROR_ZERO_RETURN ? 0 : -1;
  }
  bool WriteAll(std::string_view data, int timeout_ms) {
    if (ssl_ == nullptr) return ::canaryd::api::WriteAll(fd_, data, timeout_ms, phase_);
    while (!data.empty()) {
      // SSL_write blocks (bounded by the socket's send timeout); waiting here first is what
      // lets a client that does not read count as stalled.
      pollfd p{fd_, POLLOUT, 0};
      if (poll(&p, 1, 0) == 0 && !WaitWritable(fd_, timeout_ms, phase_)) return false;
      int n =
          SSL_write(ssl_, data.data(), static_cast<int>(std::min<size_t>(data.size(), 1 << 30)));
      if (n <= 0) return false;  // the socket's send timeout bounds each call
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

 private:
  int fd_;
  SSL* ssl_;
  PhaseTracker* phase_;
  bool handshake_done_ = false;
};

// The state of parsing one request with llhttp; reset at each message.
struct ParseState {
  const AdminServerOptions* options = nullptr;
  Wire* wire = nullptr;
  HttpRequest request;
  std::string url;
  std::string field;
  std::string value;
  bool in_value = false;
  size_t header_bytes = 0;
  int error_status = 0;  // set by a callback that refuses the request
  std::string error_message;
  bool started = false;
  bool complete = false;
  bool keep_alive = true;

  void Reset() {
    request = HttpRequest();
    url.clear();
    field.clear();
    value.clear();
    in_value = false;
    header_bytes = 0;
    error_status = 0;
    error_message.clear();
    started = false;
    complete = false;
    keep_alive = true;
  }
  void Fail(int status, std::string message) {
    if (error_status == 0) {
      error_status = status;
      error_message = std::move(message);
    }
  }
  bool CountHeader(size_t n) {
    header_bytes += n;
    if (header_bytes > options->max_header_bytes) {
      Fail(431, "request header fields are larger than " +
                    std::to_string(options->max_header_bytes) + " bytes");
      return false;
    }
    return true;
  }
  void FlushHeader() {
    if (!field.empty() || in_value) {
      for (char& c : field) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      request.headers.push_back({std::move(field), std::move(value)});
    }
    field.clear();
    value.clear();
    in_value = false;
  }
};

ParseState* StateOf(llhttp_t* p) {
  return static_cast<ParseState*>(p->data);
}

int OnMessageBegin(llhttp_t* p) {
  ParseState* s = StateOf(p);
  s->Reset();
  s->started = true;
  return 0;
}

int OnUrl(llhttp_t* p, const char* at, size_t len) {
  ParseState* s = StateOf(p);
  if (!s->CountHeader(len)) return -1;
  s->url.append(at, len);
  return 0;
}

int OnHeaderField(llhttp_t* p, const char* at, size_t len) {
  ParseState* s = StateOf(p);
  if (!s->CountHeader(len)) return -1;
  if (s->in_value) s->FlushHeader();
  s->field.append(at, len);
  return 0;
}

int OnHeaderValue(llhttp_t* p, const char* at, size_t len) {
  ParseState* s = StateOf(p);
  if (!s->CountHeader(len)) return -1;
  s->in_value = true;
  s->value.append(at, len);
  return 0;
}

int OnHeadersComplete(llhttp_t* p) {
  ParseState* s = StateOf(p);
  s->FlushHeader();
  if (s->request.headers.size() > 256) {
    s->Fail(431, "more than 256 request header fields");
    return -1;
  }
  s->request.method = llhttp_method_name(static_cast<llhttp_method_t>(llhttp_get_method(p)));
  if (!s->request.SetTarget(s->url)) {
    s->Fail(400, "malformed request target");
    return -1;
  }
  if ((p->flags & F_CONTENT_LENGTH) && p->content_length > s->options->max_body_bytes) {
    s->Fail(413, "request body of " + std::to_string(p->content_length) +
                     " bytes is larger than the limit of " +
                     std::to_string(s->options->max_body_bytes));
    return -1;
  }
  if (const std::string* expect = s->request.Header("expect");
      expect != nullptr && EqualsIgnoreCase(*expect, "100-continue")) {
    s->wire->WriteAll("HTTP/1.1 100 Continue\r\n\r\n", s->options->write_timeout_ms);
  }
  return 0;
}

int OnBody(llhttp_t* p, const char* at, size_t len) {
  ParseState* s = StateOf(p);
  if (s->request.body.size() + len > s->options->max_body_bytes) {
    s->Fail(413, "request body is larger than the limit of " +
                     std::to_string(s->options->max_body_bytes) + " bytes");
    return -1;
  }
  s->request.body.append(at, len);
  return 0;
}

int OnMessageComplete(llhttp_t* p) {
  ParseState* s = StateOf(p);
  s->complete = true;
  s->keep_alive = llhttp_should_keep_alive(p) != 0;
  return HPE_PAUSED;  // one request at a time: the caller resumes after answering
}

const llhttp_settings_t* Settings() {
  static const llhttp_settings_t settings = [] {
    llhttp_settings_t st;
    llhttp_settings_init(&st);
    st.on_message_begin = OnMessageBegin;
    st.on_url = OnUrl;
    st.on_header_field = OnHeaderField;
    st.on_header_value = OnHeaderValue;
    st.on_headers_complete = OnHeadersComplete;
    st.on_body = OnBody;
    st.on_message_complete = OnMessageComplete;
    return st;
  }();
  return &settings;
}

}  // namespace

struct AdminServer::Connection {
  int fd = -1;
  std::string peer;
  std::string local_ip;  // the address it arrived on, canonical: what Host may name
  std::thread thread;
  std::atomic<bool> done{false};
  PhaseTracker phase;
  bool probation = false;  // accepted beyond max_connections, no slot yet; guarded by mu_
  std::mutex mu;
  std::shared_ptr<ResponseStream> stream;  // the one being served, guarded by mu
};

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost") return true;
  in_addr v4;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    if (IN6_IS_ADDR_V4MAPPED(&v6)) return v6.s6_addr[12] == 127;
  }
  return false;
}

bool SplitHostPort(const std::string& address, std::string* host, uint16_t* port) {
  std::string h, p;
  if (!address.empty() && address[0] == '[') {
    size_t close = address.find(']');
    if (close == std::string::npos || close + 1 >= address.size() || address[close + 1] != ':') {
      return false;
    }
    h = address.substr(1, close - 1);
    p = address.substr(close + 2);
  } else {
    size_t colon = address.rfind(':');
    if (colon == std::string::npos) return false;
    h = address.substr(0, colon);
    p = address.substr(colon + 1);
    if (h.find(':') != std::string::npos) return false;  // bare IPv6 needs brackets
  }
  if (p.empty() || p.size() > 5) return false;
  unsigned long v = 0;
  for (char c : p) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned long>(c - '0');
  }
  if (v > 65535) return false;
  *host = h;
  *port = static_cast<uint16_t>(v);
  return true;
}

AdminServer::AdminServer(const AdminServerOptions& options, Router& router)
    : options_(options), router_(router) {}

Result<std::unique_ptr<AdminServer>> AdminServer::Start(const AdminServerOptions& options,
                                                        Router& router) {
  std::string host;
  uint16_t port = 0;
  if (!SplitHostPort(options.address, &host, &port)) {
    return InvalidArgument("admin address \"" + options.address +
                           "\" is not host:port (e.g. 127.0.0.1:15000)");
  }
  bool loopback = !host.empty() && IsLoopbackHost(host);
  if (!loopback && options.token.empty()) {
    return FailedPrecondition(
        "refusing to serve the admin API on non-loopback address " + options.address +
        " without a bearer token: pass --admin-token-file, or bind to 127.0.0.1");
  }
  if (options.require_token && options.token.empty()) {
    return FailedPrecondition("a bearer token is required but none was given");
  }

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string port_text = std::to_string(port);
  int gai = getaddrinfo(host.empty() ? nullptr : host.c_str(), port_text.c_str(), &hints, &res);
  if (gai != 0) {
    return InvalidArgument("admin address \"" + options.address + "\": " + gai_strerror(gai));
  }
  int fd = -1;
  std::string last_error = "no address";
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0) break;
    last_error = std::strerror(errno);
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) return IoError("cannot listen on " + options.address + ": " + last_error);

  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  char text[INET6_ADDRSTRLEN] = {};
  uint16_t bound_port = 0;
  std::string bound_address;
  if (bound.ss_family == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&bound);
    inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text);
    bound_port = ntohs(sin->sin_port);
    bound_address = std::string(text) + ":" + std::to_string(bound_port);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&bound);
    inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof text);
    bound_port = ntohs(sin6->sin6_port);
    bound_address = "[" + std::string(text) + "]:" + std::to_string(bound_port);
  }

  Result<RequestGuard> guard =
      RequestGuard::Make(bound_port, options.tls != nullptr, options.allowed_hosts);
  if (!guard.ok()) {
    close(fd);
    return guard.status();
  }
  std::unique_ptr<AdminServer> server(new AdminServer(options, router));
  guard->RefuseBrowserWrites(options.refuse_browser_writes);
  server->guard_.emplace(std::move(*guard));
  server->listen_fd_ = fd;
  server->port_ = bound_port;
  server->bound_address_ = bound_address;
  server->token_required_ = !loopback || options.require_token;
  if (server->token_required_) Sha256(options.token, server->token_digest_);
  if (pipe2(server->stop_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    return IoError(std::string("pipe: ") + std::strerror(errno));
  }
  server->accept_thread_ = std::thread([s = server.get()] { s->AcceptLoop(); });
  return server;
}

AdminServer::~AdminServer() {
  Stop();
  if (stop_pipe_[0] >= 0) close(stop_pipe_[0]);
  if (stop_pipe_[1] >= 0) close(stop_pipe_[1]);
}

void AdminServer::Stop() {
  if (stopping_.exchange(true)) {
    if (accept_thread_.joinable()) accept_thread_.join();
    return;
  }
  char b = 1;
  ssize_t n = write(stop_pipe_[1], &b, 1);
  (void)n;
  if (accept_thread_.joinable()) accept_thread_.join();
  if (listen_fd_ >= 0) {
    close(listen_fd_);
    listen_fd_ = -1;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& c : connections_) {
      if (!c->done) shutdown(c->fd, SHUT_RDWR);
      std::lock_guard<std::mutex> clock(c->mu);
      if (c->stream) c->stream->Close();
    }
  }
  ReapFinished(/*all=*/true);
}

size_t AdminServer::active_connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& c : connections_) n += c->done ? 0 : 1;
  return n;
}

void AdminServer::ReapFinished(bool all) {
  std::list<std::unique_ptr<Connection>> finished;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      if (all || (*it)->done) {
        finished.push_back(std::move(*it));
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& c : finished) {
    if (c->thread.joinable()) c->thread.join();
    close(c->fd);
  }
}

void AdminServer::AcceptLoop() {
  while (!stopping_) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    int r = poll(fds, 2, 1000);
    ReapFinished(/*all=*/false);
    if (r < 0 && errno != EINTR) break;
    if (fds[1].revents != 0 || stopping_) break;
    if (r <= 0 || !(fds[0].revents & POLLIN)) continue;

    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE) {
        spdlog::warn("admin: accept: {}", std::strerror(errno));
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto conn = std::make_unique<Connection>();
    conn->fd = fd;
    conn->peer = AddressText(peer);
    sockaddr_storage local{};
    len = sizeof local;
    getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
    conn->local_ip = CanonicalHost(AddressText(local));
    Connection* c = conn.get();
    bool admitted = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      admitted = AdmitLocked(*conn);
      if (admitted) connections_.push_back(std::move(conn));
    }
    if (!admitted) {
      // Every slot and every place on probation is busy: answer at once, from this thread, and
      // hang up (over TLS there is no cheap way to answer: just hang up).
      if (!options_.tls) {
        HttpResponse busy = ErrorResponse(503, "ServiceUnavailable", "too many connections");
        WriteAll(fd, SerializeHead(busy, false, false, busy.body.size()) + busy.body, 100, nullptr);
      }
      close(fd);
      continue;
    }
    c->thread = std::thread([this, c] {
      Serve(c);
      shutdown(c->fd, SHUT_RDWR);
      c->done = true;
    });
  }
}

bool AdminServer::AdmitLocked(Connection& c) {
  size_t served = 0, waiting = 0;
  Connection* oldest_waiting = nullptr;
  for (const auto& other : connections_) {
    Phase p = other->phase.Get();
    if (other->done || p == Phase::kEvicted) continue;
    if (!other->probation) {
      ++served;
    } else {
      ++waiting;
      if (Evictable(p) && (oldest_waiting == nullptr ||
                           other->phase.since_ms() < oldest_waiting->phase.since_ms())) {
        oldest_waiting = other.get();
      }
    }
  }
  c.probation = served >= options_.max_connections;
  if (!c.probation || waiting < options_.reserved_connections) return true;
  return oldest_waiting != nullptr && EvictLocked(oldest_waiting);
}

bool AdminServer::Claim(Connection* c) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!c->probation) return true;
  size_t served = 0;
  Connection* oldest = nullptr;
  for (const auto& other : connections_) {
    Phase p = other->phase.Get();
    if (other->done || p == Phase::kEvicted || other->probation) continue;
    ++served;
    if (Evictable(p) && (oldest == nullptr || other->phase.since_ms() < oldest->phase.since_ms())) {
      oldest = other.get();
    }
  }
  if (served < options_.max_connections || (oldest != nullptr && EvictLocked(oldest))) {
    c->probation = false;
    return true;
  }
  return false;
}

bool AdminServer::EvictLocked(Connection* c) {
  if (!c->phase.Evict()) return false;
  ++evicted_;  // before the client can see the close
  // Its thread wakes from poll (or from a blocked read or write) and ends.
  shutdown(c->fd, SHUT_RDWR);
  spdlog::debug("admin: evicted the connection from {} to make room", c->peer);
  return true;
}

bool AdminServer::Authorized(const HttpRequest& req) const {
  const std::string* auth = req.Header("authorization");
  if (auth == nullptr) return false;
  std::string_view v = *auth;
  constexpr std::string_view kBearer = "Bearer ";
  if (v.size() < kBearer.size() || !EqualsIgnoreCase(v.substr(0, kBearer.size()), kBearer)) {
    return false;
  }
  v.remove_prefix(kBearer.size());
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  // Comparing digests makes the comparison's time independent of the token's length too.
  unsigned char digest[32];
  Sha256(v, digest);
  return CRYPTO_memcmp(digest, token_digest_, sizeof digest) == 0;
}

void AdminServer::Serve(Connection* c) {
  const int fd = c->fd;
  SSL* ssl = nullptr;
  auto set_timeout = [fd](int option, int ms) {
    timeval t{ms / 1000, (ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, option, &t, sizeof t);
  };
  if (options_.tls) {
    // Blocking TLS calls are bounded by the socket's timeouts.
    set_timeout(SO_RCVTIMEO, options_.read_timeout_ms);
    set_timeout(SO_SNDTIMEO, options_.write_timeout_ms);
    ssl = SSL_new(options_.tls->get());
    if (ssl == nullptr) return;
    SSL_set_fd(ssl, fd);
  }
  Wire wire(fd, ssl, &c->phase);
  // The handshake comes before any request: it has the first byte's time.
  if (!wire.Handshake(options_.first_byte_timeout_ms)) return;
  llhttp_t parser;
  llhttp_init(&parser, HTTP_REQUEST, Settings());
  ParseState state;
  state.options = &options_;
  state.wire = &wire;
  parser.data = &state;

  std::string pending;  // received bytes not yet given to the parser
  std::vector<char> buf(16 << 10);
  int64_t request_deadline = 0;
  bool answered = false;  // whether a request has been answered on this connection

  auto send_error = [&](int code, const std::string& reason, const std::string& message) {
    HttpResponse r = ErrorResponse(code, reason, message);
    wire.WriteAll(SerializeHead(r, false, false, r.body.size()) + r.body,
                  options_.write_timeout_ms);
  };

  while (!stopping_) {
    if (pending.empty() && wire.Pending()) {
      ssize_t n = wire.Read(buf.data(), buf.size());
      if (n <= 0) return;
      pending.assign(buf.data(), static_cast<size_t>(n));
    } else if (pending.empty()) {
      bool mid_request = state.started && !state.complete;
      if (!mid_request && !c->phase.Enter(answered ? Phase::kIdle : Phase::kNew)) return;
      int64_t now = NowMs();
      int timeout = answered ? options_.idle_timeout_ms : options_.first_byte_timeout_ms;
      if (mid_request) {
        if (request_deadline == 0) request_deadline = now + options_.read_timeout_ms;
        timeout = static_cast<int>(std::max<int64_t>(0, request_deadline - now));
      }
      pollfd fds[2] = {{fd, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
      int r = poll(fds, 2, timeout);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 || fds[1].revents != 0) return;
      if (r == 0) {
        if (mid_request) send_error(408, "Timeout", "request not received in time");
        return;
      }
      ssize_t n = wire.Read(buf.data(), buf.size());
      if (n < 0 && errno == EINTR && !wire.tls()) continue;
      if (n <= 0) return;
      pending.assign(buf.data(), static_cast<size_t>(n));
    }

    llhttp_errno_t err = llhttp_execute(&parser, pending.data(), pending.size());
    if (state.started && request_deadline == 0)
      request_deadline = NowMs() + options_.read_timeout_ms;
    if (err == HPE_OK) {
      pending.clear();
      if (state.started && !state.complete && !c->phase.Enter(Phase::kReading)) return;
      continue;
    }
    if (err != HPE_PAUSED || !state.complete) {
      if (state.error_status != 0) {
        const char* reason = state.error_status == 413   ? "RequestEntityTooLarge"
                             : state.error_status == 431 ? "RequestHeaderFieldsTooLarge"
                                                         : "BadRequest";
        send_error(state.error_status, reason, state.error_message);
      } else {
        send_error(400, "BadRequest",
                   std::string("malformed HTTP request: ") + llhttp_get_error_reason(&parser));
      }
      return;
    }
    // One complete request: keep what follows it for the next round.
    const char* pos = llhttp_get_error_pos(&parser);
    size_t used = pos != nullptr ? static_cast<size_t>(pos - pending.data()) : pending.size();
    pending.erase(0, std::min(used, pending.size()));
    llhttp_resume(&parser);
    request_deadline = 0;
    // From here the connection is working for its client: it cannot be evicted. One accepted on
    // probation gets a slot now, or is answered 503 when every slot is working.
    if (!c->phase.Enter(Phase::kBusy)) return;
    if (!Claim(c)) {
      send_error(503, "ServiceUnavailable", "too many connections");
      return;
    }

    HttpRequest& req = state.request;
    req.remote_address = c->peer;
    bool keep_alive = state.keep_alive && !stopping_;
    const bool head = req.method == "HEAD";
    auto started = std::chrono::steady_clock::now();

    HttpResponse resp;
    Router::Match match;
    const bool found = router_.Find(req.path, &match);
    if (std::optional<Refusal> refusal =
            guard_->Check(req, c->local_ip, found && match.options.public_access)) {
      resp = ErrorResponse(refusal->status, refusal->reason, refusal->message);
    } else if (!found) {
      resp = ErrorResponse(404, "NotFound", "the server could not find the requested resource");
    } else if (token_required_ && !match.options.public_access && !Authorized(req)) {
      resp = ErrorResponse(401, "Unauthorized", "Unauthorized");
      resp.SetHeader("WWW-Authenticate", "Bearer realm=\"canaryd\"");
    } else {
      try {
        resp = match.handler(req);
      } catch (const std::exception& e) {
        spdlog::error("admin: {} {}: handler failed: {}", req.method, req.target, e.what());
        resp = ErrorResponse(500, "InternalError", "internal error");
      }
    }
    spdlog::debug("admin: {} {} {} {} {}us", c->peer, req.method, req.target, resp.status,
                  std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count());

    if (resp.stream && streams_.fetch_add(1) >= options_.max_streams) {
      // Keep a share of the slots for ordinary requests.
      --streams_;
      resp.stream->End();
      resp = ErrorResponse(429, "TooManyRequests", "too many watches open; try again later");
      resp.SetHeader("Retry-After", "1");
    }
    if (resp.stream) {
      c->phase.Enter(Phase::kStreaming);
      std::shared_ptr<ResponseStream> stream = resp.stream;
      {
        std::lock_guard<std::mutex> lock(c->mu);
        c->stream = stream;
      }
      bool ok = !stopping_ &&
                wire.WriteAll(SerializeHead(resp, false, true, 0), options_.write_timeout_ms);
      std::vector<std::string> chunks;
      while (ok) {
        chunks.clear();
        bool closing = stream->Drain(chunks);
        for (const std::string& chunk : chunks) {
          if (chunk.empty()) continue;
          if (!wire.WriteAll(Chunk(chunk), options_.write_timeout_ms)) {
            ok = false;
            break;
          }
        }
        if (!ok) break;
        if (closing || stream->ended()) {
          // ended() without closing means an overflow: stop without the terminating chunk.
          if (closing) wire.WriteAll("0\r\n\r\n", options_.write_timeout_ms);
          break;
        }
        pollfd fds[3] = {{fd, POLLIN | POLLRDHUP, 0},
                         {stream->wake_fd(), POLLIN, 0},
                         {stop_pipe_[0], POLLIN, 0}};
        int64_t left = stream->MillisUntilDeadline();
        int r = poll(fds, 3, static_cast<int>(std::min<int64_t>(left, 1000)));
        if (r < 0 && errno != EINTR) break;
        if (fds[2].revents != 0) break;
        if (fds[1].revents != 0) stream->ClearWake();
        if (fds[0].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) break;
        if (fds[0].revents & POLLIN) {
          // A client does not talk during a stream; data or EOF here ends it.
          char scratch[512];
          ssize_t n = wire.Read(scratch, sizeof scratch, /*dont_wait=*/true);
          if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) break;
        }
      }
      stream->End();
      --streams_;
      {
        std::lock_guard<std::mutex> lock(c->mu);
        c->stream.reset();
      }
      return;  // a streamed response ends the connection
    }

    std::string out = SerializeHead(resp, keep_alive, false, resp.body.size());
    if (!head) out += resp.body;
    if (!wire.WriteAll(out, options_.write_timeout_ms)) return;
    if (!keep_alive) return;
    answered = true;
  }
}

}  // namespace canaryd::api

#include "proxy/connections.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "event/io.h"
#include "http/header_lists.h"
#include "http/request_checks.h"
#include "http/request_target.h"

namespace canaryd::proxy {
namespace {

constexpr size_t kReadSize = 16 * 1024;

std::string_view MethodOf(const http::MessageHead& h, const char* base) {
  return h.method_name.in(base);
}

// "127.0.0.1:5555" or "[::1]:5555" -> the address alone, as x-forwarded-for carries it.
std::string_view ClientAddress(std::string_view peer) {
  std::string_view client = peer.substr(0, peer.rfind(':'));
  if (client.size() >= 2 && client.front() == '[' && client.back() == ']') {
    client = client.substr(1, client.size() - 2);
  }
  return client;
}

bool FindHeaderCallback(const void* ctx, std::string_view lower_name, std::string_view* value) {
  auto* pair = static_cast<const std::pair<const http::MessageHead*, const char*>*>(ctx);
  for (const http::HeaderSlice& h : pair->first->headers) {
    if (http::EqualsLower(h.name.in(pair->second), lower_name)) {
      *value = h.value.in(pair->second);
      return true;
    }
  }
  return false;
}

// Counts what AppendCodingsBeforeChunked would write.
struct CodingCounter {
  void Append(std::string_view) {}
  void Append(const char*, size_t) {}
};

}  // namespace

// ------------------------------------------------------------------ UpstreamConnection

UpstreamConnection::UpstreamConnection(Worker* w, int fd_in, const router::Endpoint& endpoint)
    : worker(w), fd(fd_in), key(endpoint.address_text), timer(&w->loop(), [this] {
        if (idle) {
          Close();
        } else if (owner != nullptr) {
          owner->OnUpstreamIo(this, 0);  // events 0 = the connect timer fired
        }
      }) {}

UpstreamConnection::~UpstreamConnection() {
  if (fd >= 0) ::close(fd);
}

void UpstreamConnection::OnIo(uint32_t events) {
  if (closed) return;
  if (owner != nullptr) {
    owner->OnUpstreamIo(this, events);
    return;
  }
  // Idle in the pool: any event means the peer closed it or sent something unexpected.
  Close();
}

void UpstreamConnection::Close() {
  if (closed) return;
  closed = true;
  timer.Cancel();
  if (idle) worker->ForgetIdle(this);
  worker->loop().Remove(fd);
  ::close(fd);
  fd = -1;
  Worker* w = worker;
  w->loop().Defer([w, self = this] { w->UpstreamClosed(self); });
}

// ------------------------------------------------------------------ DownstreamConnection

DownstreamConnection::DownstreamConnection(Worker* w, int fd, uint32_t gateway_port,
                                           std::string peer)
    : w_(w),
      fd_(fd),
      gateway_port_(gateway_port),
      peer_(std::move(peer)),
      parser_(http::Parser::Kind::kRequest, w->options().limits),
      header_timer_(&w->loop(),
                    [this] {
                      w_->counters().rejected_408++;
                      info_.flags |= kStreamIdleTimeout;
                      close_after_response_ = true;
                      LocalReply(408, kStreamIdleTimeout, "request timeout\n");
                    }),
      idle_timer_(&w->loop(), [this] { Close(); }),
      route_timer_(&w->loop(), [this] {
        UpstreamFailed(kUpstreamRequestTimeout);
        if (need_drive_) Drive();
      }) {
  parser_.Reset();
  idle_timer_.Arm(w_->options().idle_timeout_nanos);
}

DownstreamConnection::~DownstreamConnection() {
  if (fd_ >= 0) ::close(fd_);
}

void DownstreamConnection::OnIo(uint32_t events) {
  if (state_ == State::kClosed) return;
  if (events & (EPOLLERR | EPOLLHUP)) {
    if (state_ == State::kProxying || state_ == State::kTunnel)
      return Abort(kDownstreamConnectionTermination);
    return Close();
  }
  if (events & EPOLLRDHUP) peer_closed_ = true;
  if (events & EPOLLOUT) writable_ = true;
  if (events & (EPOLLIN | EPOLLRDHUP)) readable_ = true;
  if (!out_.empty()) Flush();
  if (state_ == State::kTunnel) return Tunnel();
  Drive();
}

bool DownstreamConnection::FillInput() {
  if (!readable_ || state_ == State::kClosed) return false;
  size_t n = 0;
  event::IoResult r = event::ReadOnce(fd_, in_, kReadSize, &n, peer_closed_);
  if (r == event::IoResult::kDrained) readable_ = false;
  if (r == event::IoResult::kEof || r == event::IoResult::kError) {
    readable_ = false;
    peer_closed_ = true;
    if (state_ == State::kProxying && !request_done_) {
      Abort(kDownstreamConnectionTermination);
    } else if (state_ != State::kProxying) {
      Close();
    }
    return false;
  }
  return n > 0;
}

void DownstreamConnection::Drive() {
  need_drive_ = false;
  while (state_ == State::kIdle || state_ == State::kReadingHead ||
         (state_ == State::kProxying && !request_done_)) {
    if (state_ == State::kProxying) {
      ForwardRequestBody();
      return;
    }
    if (parsed_ == in_.readable() && !parser_.completion_pending()) {
      if (peer_closed_ && !readable_) return Close();
      if (!FillInput()) return;
    }
    if (state_ == State::kIdle) {
      state_ = State::kReadingHead;
      idle_timer_.Cancel();
      header_timer_.Arm(w_->options().request_header_timeout_nanos);
      info_ = RequestInfo();
      info_.start_nanos = w_->loop().now();
      info_.start_wall_micros = w_->loop().wall_micros();
    }
    size_t used = 0;
    http::Parser::State s =
        parser_.Feed(in_.read_ptr(), in_.read_ptr() + parsed_, in_.readable() - parsed_, &used);
    parsed_ += used;
    if (s == http::Parser::State::kError) {
      header_timer_.Cancel();
      int status = parser_.error_status();
      if (status == 431) {
        w_->counters().rejected_431++;
      } else {
        w_->counters().rejected_400++;
      }
      close_after_response_ = true;
      return LocalReply(status, kDownstreamProtocolError,
                        status == 431 ? "request header fields too large\n" : "bad request\n");
    }
    if (s == http::Parser::State::kHeadComplete) {
      header_timer_.Cancel();
      StartRequest();
    }
  }
}

void DownstreamConnection::StartRequest() {
  const http::MessageHead& head = parser_.head();
  const char* reason = "";
  if (int status = http::CheckRequestHead(head, in_.read_ptr(), &reason); status != 0) {
    w_->counters().rejected_400++;
    close_after_response_ = true;
    return LocalReply(status, kDownstreamProtocolError, std::string(reason) + "\n");
  }
  w_->counters().requests_total++;
  w_->counters().requests_active++;
  if (head.has_body || head.upgrade) {
    // The body will stream through the input buffer: keep the head in a buffer of its own.
    head_copy_.Append(in_.read_ptr(), parsed_);
    head_copied_ = true;
    in_.Consume(parsed_);
    parsed_ = 0;
  }
  const char* base = HeadBase();
  state_ = State::kProxying;
  request_done_ = false;
  request_sent_ = false;
  response_started_ = false;
  attempts_ = 0;
  endpoint_ = -1;
  route_ = nullptr;
  cluster_ = nullptr;
  chunked_request_ = head.chunked;
  close_after_response_ = !head.keep_alive || draining_ || peer_closed_;
  table_ = w_->current_table();
  w_->Acquire(table_);
  info_.table_generation = table_->table->generation();

  info_.method = MethodOf(head, base);
  info_.path = head.url.in(base);
  info_.authority = head.Find(base, "host");
  absolute_target_ = false;
  if (!info_.path.empty() && info_.path[0] != '/') UseAbsoluteTarget();
  info_.protocol = head.http_minor == 0 ? "HTTP/1.0" : "HTTP/1.1";
  info_.user_agent = head.Find(base, "user-agent");
  info_.forwarded_for = head.Find(base, "x-forwarded-for");
  info_.client_address = ClientAddress(peer_);
  info_.downstream_address = peer_;
  request_id_ = head.Find(base, "x-request-id");
  if (request_id_.empty()) {
    w_->FormatRequestId(request_id_buf_);
    request_id_ = std::string_view(request_id_buf_, 36);
  }
  info_.request_id = request_id_;

  const router::RouteTable& table = *table_->table;
  std::pair<const http::MessageHead*, const char*> header_ctx{&head, base};
  router::RequestView view;
  view.method = info_.method;
  http::SplitTarget(info_.path, &view.path, &view.query);
  view.authority = info_.authority;
  view.scheme = "http";
  view.port = gateway_port_;
  view.find_header = &FindHeaderCallback;
  view.header_ctx = &header_ctx;

  const router::VirtualHost* vhost = table.FindVirtualHost(gateway_port_, info_.authority);
  route_ = vhost ? table.Match(*vhost, view) : nullptr;
  info_.route = route_;
  if (route_ == nullptr) return LocalReply(404, kNoRouteFound, "");

  switch (route_->action) {
    case router::Route::Action::kDirectResponse:
      return LocalReply(static_cast<int>(route_->direct_status), 0, route_->direct_body);
    case router::Route::Action::kRedirect: {
      std::string location = route_->redirect_scheme.empty() ? "http" : route_->redirect_scheme;
      location += "://";
      std::string_view host = route_->redirect_authority.empty()
                                  ? info_.authority.substr(0, info_.authority.find(':'))
                                  : std::string_view(route_->redirect_authority);
      location += host;
      if (route_->redirect_port != 0) location += ":" + std::to_string(route_->redirect_port);
      location += route_->redirect_uri.empty() ? std::string(view.path) : route_->redirect_uri;
      if (!view.query.empty() && route_->redirect_uri.find('?') == std::string::npos) {
        location += "?" + std::string(view.query);
      }
      return LocalReply(static_cast<int>(route_->redirect_code), 0, "",
                        "location: " + location + "\r\n");
    }
    case router::Route::Action::kForward:
      break;
  }
  if (route_->clusters.empty()) {
    return LocalReply(503, kNoClusterFound, "no healthy upstream\n");
  }
  const router::WeightedCluster& wc = w_->lb().PickCluster(*route_);
  cluster_ = &table.clusters()[wc.cluster];
  info_.cluster = cluster_;
  if (cluster_->missing) return LocalReply(503, kNoClusterFound, "no healthy upstream\n");
  if (cluster_->endpoints.empty()) {
    return LocalReply(503, kNoHealthyUpstream, "no healthy upstream\n");
  }
  if (head.http_minor >= 1 && http::EqualsLower(head.Find(base, "expect"), "100-continue")) {
    out_.Append("HTTP/1.1 100 Continue\r\n\r\n");
    Flush();
  }
  if (route_->timeout_nanos > 0) route_timer_.Arm(route_->timeout_nanos);
  Connect(-1);
}

void DownstreamConnection::UseAbsoluteTarget() {
  // RFC 9112 3.2.2: the target's authority replaces Host; routing and the upstream see the path
  // in origin form, as Envoy does.
  http::AbsoluteTarget parts;
  if (!http::SplitAbsoluteForm(info_.path, &parts)) return;  // "*": left as it is
  absolute_target_ = true;
  info_.authority = parts.authority;
  if (!parts.rest.empty() && parts.rest.front() == '/') {
    info_.path = parts.rest;
  } else {
    origin_target_.assign("/");
    origin_target_.append(parts.rest);
    info_.path = origin_target_;
  }
}

void DownstreamConnection::Connect(int avoid) {
  ++attempts_;
  endpoint_ = w_->lb().PickEndpoint(*cluster_, avoid);
  const router::Endpoint& ep = cluster_->endpoints[endpoint_];
  info_.endpoint = &ep;
  UpstreamConnection* up = w_->AcquireUpstream(ep);
  if (up == nullptr) return OnConnectFailed();
  up_ = up;
  up->owner = this;
  w_->lb().Started(cluster_->id, endpoint_);
  lb_generation_ = w_->lb().generation();
  const http::MessageHead& head = parser_.head();
  UpstreamRequestSpec spec;
  spec.forwarded_for = info_.forwarded_for;
  spec.client_address = info_.client_address;
  spec.request_id = request_id_;
  spec.target = info_.path;
  if (absolute_target_) spec.host_override = info_.authority;
  spec.chunked_body = head.chunked;
  spec.upgrade = head.upgrade;
  spec.host_fallback = ep.address_text;
  up->parser.Reset();
  up->parser.set_no_body(head.method == HTTP_HEAD);
  up->parsed = 0;
  WriteUpstreamRequest(head, HeadBase(), spec, up->out);
  info_.upstream_start_nanos = w_->loop().now();
  if (!up->connected) {
    up->timer.Arm(cluster_->connect_timeout_nanos);
  } else {
    FlushUpstream();
  }
  // The body (if any) follows as it arrives.
  parser_.Resume();
  need_drive_ = true;
}

void DownstreamConnection::FinishedOnEndpoint() {
  // After a table change the counts belong to the new table's clusters: leave them alone.
  if (w_->lb().generation() == lb_generation_) w_->lb().Finished(cluster_->id, endpoint_);
}

void DownstreamConnection::ForwardRequestBody() {
  while (state_ == State::kProxying && !request_done_) {
    if (up_ != nullptr && up_->out.readable() > w_->options().high_watermark) return;
    if (parsed_ == in_.readable() && !parser_.completion_pending()) {
      if (!FillInput()) return;
    }
    size_t used = 0;
    http::Parser::State s =
        parser_.Feed(HeadBase(), in_.read_ptr() + parsed_, in_.readable() - parsed_, &used);
    // For bodiless requests the head is still in in_ (head_copied_ false) and Feed only
    // reports the completion; otherwise body pieces point into in_.
    if (s == http::Parser::State::kError) {
      w_->counters().rejected_400++;
      close_after_response_ = true;
      if (!response_started_) {
        DetachUpstream(false);
        return LocalReply(400, kDownstreamProtocolError, "bad request\n");
      }
      return Abort(kDownstreamProtocolError);
    }
    for (const auto& piece : parser_.body()) {
      info_.bytes_received += piece.length;
      if (up_ == nullptr) continue;
      if (chunked_request_) {
        up_->out.AppendHex(piece.length);
        up_->out.Append("\r\n", 2);
        up_->out.Append(piece.data, piece.length);
        up_->out.Append("\r\n", 2);
      } else {
        up_->out.Append(piece.data, piece.length);
      }
    }
    parsed_ += used;
    if (head_copied_) {
      in_.Consume(parsed_);
      parsed_ = 0;
    }
    if (s == http::Parser::State::kMessageComplete) {
      request_done_ = true;
      if (chunked_request_ && up_ != nullptr) up_->out.Append("0\r\n\r\n", 5);
    }
    if (up_ != nullptr && up_->connected) FlushUpstream();
    if (state_ != State::kProxying) return;
  }
}

void DownstreamConnection::FlushUpstream() {
  UpstreamConnection* up = up_;
  if (up == nullptr || !up->connected || up->out.empty()) return;
  if (!up->writable) return;
  size_t before = up->out.readable();
  event::IoResult r = event::WriteAll(up->fd, up->out);
  if (up->out.readable() < before) request_sent_ = true;
  if (r == event::IoResult::kError) return UpstreamFailed(kUpstreamConnectionTermination);
  if (r == event::IoResult::kDrained) up->writable = false;
  if (up->out.empty()) up->out.ShrinkIfEmpty();
}

void DownstreamConnection::OnConnectFailed() {
  if (up_ != nullptr) {
    FinishedOnEndpoint();
    http::Buffer pending = std::move(up_->out);
    up_->owner = nullptr;
    up_->Close();
    up_ = nullptr;
    // Istio's default retry policy retries a connect failure once, on another endpoint. The
    // request never reached the failed one, so its bytes move to the new connection.
    if (attempts_ < 2 && !request_sent_) {
      Connect(endpoint_);
      if (up_ != nullptr) {
        up_->out = std::move(pending);
        if (up_->connected) FlushUpstream();
      }
      return;
    }
  }
  LocalReply(503, kUpstreamConnectionFailure,
             "upstream connect error or disconnect/reset before headers. reset reason: "
             "connection failure\n");
}

void DownstreamConnection::OnUpstreamIo(UpstreamConnection* up, uint32_t events) {
  if (up != up_) return;
  if (!up->connected) {
    if (events == 0) return OnConnectFailed();  // connect timeout
    if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
      if (event::SocketError(up->fd) != 0 || (events & (EPOLLERR | EPOLLHUP))) {
        return OnConnectFailed();
      }
      up->connected = true;
      up->writable = true;
      up->timer.Cancel();
      w_->counters().upstream_connections_active++;
    }
  } else if (events & EPOLLOUT) {
    up->writable = true;
  }
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) up->readable = true;
  if (events & (EPOLLRDHUP | EPOLLHUP)) up->peer_closed = true;
  if (state_ == State::kTunnel) return Tunnel();
  FlushUpstream();
  if (up_ != nullptr && !request_done_ && state_ == State::kProxying &&
      up_->out.readable() <= w_->options().high_watermark) {
    ForwardRequestBody();
  }
  if (up_ != nullptr && up_->readable && state_ == State::kProxying) ReadResponse();
  if (need_drive_) Drive();
}

void DownstreamConnection::ReadResponse() {
  UpstreamConnection* up = up_;
  while (up_ == up && state_ == State::kProxying) {
    if (out_.readable() > w_->options().high_watermark) {
      upstream_paused_ = true;
      return;
    }
    if (up->parsed == up->in.readable() && !up->parser.completion_pending()) {
      if (!up->readable) return;
      size_t n = 0;
      event::IoResult r = event::ReadOnce(up->fd, up->in, kReadSize, &n, up->peer_closed);
      if (r == event::IoResult::kDrained) up->readable = false;
      if (r == event::IoResult::kEof || r == event::IoResult::kError) {
        up->readable = false;
        if (r == event::IoResult::kEof && response_started_ &&
            up->parser.Finish() == http::Parser::State::kMessageComplete) {
          return ResponseComplete(false);
        }
        // A pooled connection the upstream had already closed: nothing of the request can
        // have been processed, so a request without a body is sent again on a new connection.
        if (!response_started_ && up->reused && up->in.empty() &&
            parser_.head().has_body == false && attempts_ < 3) {
          FinishedOnEndpoint();
          up_->owner = nullptr;
          up_->Close();
          up_ = nullptr;
          request_sent_ = false;
          --attempts_;
          return Connect(-1);
        }
        return UpstreamFailed(kUpstreamConnectionTermination);
      }
      if (n == 0) return;
    }
    size_t used = 0;
    http::Parser::State s = up->parser.Feed(up->in.read_ptr(), up->in.read_ptr() + up->parsed,
                                            up->in.readable() - up->parsed, &used);
    if (s == http::Parser::State::kError) {
      if (!response_started_) return BadResponseHead();
      return Abort(kUpstreamProtocolError);
    }
    if (s == http::Parser::State::kHeadComplete) {
      up->parsed += used;
      OnResponseHead();
      if (up_ != up || state_ != State::kProxying) return;
      continue;
    }
    for (const auto& piece : up->parser.body()) WriteResponseBody(piece.data, piece.length);
    up->parsed += used;
    // A head that is not complete stays in the buffer: the parser's slices are offsets from
    // its first byte. Body bytes are written out, so they go.
    if (!up->parser.head_complete()) continue;
    up->in.Consume(up->parsed);
    up->parsed = 0;
    if (s == http::Parser::State::kMessageComplete) {
      int status = up->parser.head().status;
      if (status >= 100 && status < 200) {  // informational: the final response follows
        up->parser.Reset();
        up->parser.set_no_body(parser_.head().method == HTTP_HEAD);
        response_started_ = false;
        continue;
      }
      bool reusable = up->parser.head().keep_alive && request_done_ && up->in.empty();
      return ResponseComplete(reusable);
    }
    Flush();
  }
}

void DownstreamConnection::OnResponseHead() {
  UpstreamConnection* up = up_;
  const http::MessageHead& rh = up->parser.head();
  const char* rbase = up->in.read_ptr();
  const http::MessageHead& qh = parser_.head();
  bool http10 = qh.http_minor == 0;
  const char* reason = "";
  if (http::CheckResponseHead(rh, rbase, &reason) != 0) return BadResponseHead();
  if (rh.status >= 100 && rh.status < 200 && rh.status != 101) {
    // 100 Continue was answered by the proxy itself; other 1xx go to HTTP/1.1 clients.
    if (rh.status != 100 && !http10) {
      ResponseSpec spec;
      spec.framing = ResponseFraming::kNone;
      WriteResponseHead(rh, rbase, spec, out_);
    }
    up->in.Consume(up->parsed);
    up->parsed = 0;
    up->parser.Resume();
    return;
  }
  response_started_ = true;
  route_timer_.Cancel();
  info_.response_start_nanos = w_->loop().now();
  info_.status = rh.status;
  ResponseSpec spec;
  spec.http10_client = http10;
  if (rh.status == 101 && qh.upgrade) {
    spec.upgrade = true;
    spec.framing = ResponseFraming::kNone;
    WriteResponseHead(rh, rbase, spec, out_);
    up->in.Consume(up->parsed);
    up->parsed = 0;
    state_ = State::kTunnel;
    Flush();
    return Tunnel();
  }
  if (!rh.has_body || rh.content_length >= 0) {
    framing_ = ResponseFraming::kContentLength;
  } else if (http10) {
    // HTTP/1.0 has no transfer codings: a body coded with more than chunked cannot reach it.
    CodingCounter codings;
    if (http::AppendCodingsBeforeChunked(rh, rbase, codings) > 0) return BadResponseHead();
    framing_ = ResponseFraming::kUntilClose;
    close_after_response_ = true;
  } else {
    framing_ = ResponseFraming::kChunked;
  }
  if (!request_done_ || peer_closed_ || w_->draining()) close_after_response_ = true;
  spec.framing = framing_;
  spec.close = close_after_response_;
  spec.keep_alive_10 = http10 && !close_after_response_;
  WriteResponseHead(rh, rbase, spec, out_);
  up->in.Consume(up->parsed);
  up->parsed = 0;
  up->parser.Resume();
}

void DownstreamConnection::BadResponseHead() {
  DetachUpstream(false);
  close_after_response_ = close_after_response_ || !request_done_;
  LocalReply(502, kUpstreamProtocolError, "upstream sent a malformed response\n");
}

void DownstreamConnection::WriteResponseBody(const char* data, size_t len) {
  if (len == 0) return;
  info_.bytes_sent += len;
  if (framing_ == ResponseFraming::kChunked) {
    out_.AppendHex(len);
    out_.Append("\r\n", 2);
    out_.Append(data, len);
    out_.Append("\r\n", 2);
    return;
  }
  if (out_.empty() && writable_) {
    // Straight from the upstream's buffer to the client socket when nothing is queued.
    size_t written = 0;
    event::IoResult r = event::WriteRaw(fd_, data, len, &written);
    if (r == event::IoResult::kDrained) writable_ = false;
    if (r == event::IoResult::kError) {
      writable_ = false;
      return;
    }
    if (written < len) out_.Append(data + written, len - written);
    return;
  }
  out_.Append(data, len);
}

void DownstreamConnection::ResponseComplete(bool upstream_reusable) {
  if (framing_ == ResponseFraming::kChunked) out_.Append("0\r\n\r\n", 5);
  DetachUpstream(upstream_reusable);
  FinishRequest();
}

void DownstreamConnection::DetachUpstream(bool reusable) {
  if (up_ == nullptr) return;
  UpstreamConnection* up = up_;
  up_ = nullptr;
  FinishedOnEndpoint();
  up->owner = nullptr;
  if (reusable && up->connected && up->out.empty()) {
    w_->ReleaseUpstream(up);
  } else {
    up->Close();
  }
}

void DownstreamConnection::UpstreamFailed(uint32_t flag) {
  if (state_ != State::kProxying) return;
  route_timer_.Cancel();
  if (response_started_) return Abort(flag);
  DetachUpstream(false);
  if (!request_done_) close_after_response_ = true;
  if (flag == kUpstreamRequestTimeout) {
    return LocalReply(504, flag, "upstream request timeout\n");
  }
  LocalReply(503, flag,
             "upstream connect error or disconnect/reset before headers. reset reason: "
             "connection termination\n");
}

void DownstreamConnection::LocalReply(int status, uint32_t flag, std::string_view body,
                                      std::string_view extra_headers) {
  bool had_request = state_ == State::kProxying;
  if (!had_request) {
    // A reply before the request was routed (bad input, timeout): count it as a request.
    w_->counters().requests_total++;
    w_->counters().requests_active++;
    table_ = w_->current_table();
    w_->Acquire(table_);
    if (info_.start_nanos == 0) {
      info_.start_nanos = w_->loop().now();
      info_.start_wall_micros = w_->loop().wall_micros();
    }
  }
  state_ = State::kProxying;
  if (!request_done_ && had_request && parser_.head().has_body) close_after_response_ = true;
  if (!had_request) close_after_response_ = true;
  info_.status = status;
  info_.flags |= flag;
  info_.bytes_sent = body.size();
  bool http10 = had_request && parser_.head().http_minor == 0;
  out_.Append(http10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  out_.AppendDecimal(static_cast<uint64_t>(status));
  out_.Append(" ", 1);
  out_.Append(http::ReasonPhrase(status));
  out_.Append("\r\ncontent-length: ");
  out_.AppendDecimal(body.size());
  if (!body.empty()) out_.Append("\r\ncontent-type: text/plain");
  out_.Append("\r\n", 2);
  out_.Append(extra_headers);
  if (close_after_response_) {
    out_.Append("connection: close\r\n");
  } else if (http10) {
    out_.Append("connection: keep-alive\r\n");
  }
  out_.Append("\r\n", 2);
  if (!(had_request && parser_.head().method == HTTP_HEAD)) out_.Append(body);
  FinishRequest();
}

void DownstreamConnection::ReportRequestEnd() {
  route_timer_.Cancel();
  info_.end_nanos = w_->loop().now();
  if (w_->observer() != nullptr) w_->observer()->OnRequestDone(w_->index(), info_);
  w_->counters().requests_active--;
  if (table_ != nullptr) {
    w_->Release(table_);
    table_ = nullptr;
  }
}

void DownstreamConnection::FinishRequest() {
  ReportRequestEnd();
  if (up_ != nullptr) DetachUpstream(false);
  route_ = nullptr;
  cluster_ = nullptr;
  if (close_after_response_ || draining_) {
    state_ = State::kClosing;
    Flush();
    return;
  }
  // Next request: drop this one's bytes, keep any pipelined ones.
  if (head_copied_) {
    head_copy_.Consume(head_copy_.readable());
    head_copy_.ShrinkIfEmpty();
    head_copied_ = false;
  } else {
    in_.Consume(parsed_);
  }
  parsed_ = 0;
  parser_.Reset();
  state_ = State::kIdle;
  if (in_.empty()) {
    in_.ShrinkIfEmpty();
    idle_timer_.Arm(w_->options().idle_timeout_nanos);
  }
  Flush();
  need_drive_ = true;
}

void DownstreamConnection::Flush() {
  if (state_ == State::kClosed) return;
  if (!out_.empty() && writable_) {
    event::IoResult r = event::WriteAll(fd_, out_);
    if (r == event::IoResult::kError) {
      if (state_ == State::kProxying || state_ == State::kTunnel) {
        return Abort(kDownstreamConnectionTermination);
      }
      return Close();
    }
    if (r == event::IoResult::kDrained) writable_ = false;
  }
  if (out_.empty()) {
    out_.ShrinkIfEmpty();
    if (state_ == State::kClosing) {
      shutdown(fd_, SHUT_WR);
      return Close();
    }
  }
  if (upstream_paused_ && out_.readable() <= w_->options().high_watermark / 2) {
    upstream_paused_ = false;
    if (up_ != nullptr && state_ == State::kProxying) ReadResponse();
  }
}

void DownstreamConnection::Tunnel() {
  // Bytes both ways until either side closes (WebSocket after 101).
  UpstreamConnection* up = up_;
  if (up == nullptr) return Close();
  bool progress = true;
  while (progress && state_ == State::kTunnel) {
    progress = false;
    if (in_.readable() > 0) {
      info_.bytes_received += in_.readable();
      up->out.Append(in_.read_ptr(), in_.readable());
      in_.Consume(in_.readable());
    }
    if (up->in.readable() > 0) {
      info_.bytes_sent += up->in.readable();
      out_.Append(up->in.read_ptr(), up->in.readable());
      up->in.Consume(up->in.readable());
    }
    if (!up->out.empty() && up->writable) {
      if (event::WriteAll(up->fd, up->out) == event::IoResult::kDrained) up->writable = false;
    }
    Flush();
    if (state_ != State::kTunnel) return;
    size_t n = 0;
    if (readable_ && out_.readable() < w_->options().high_watermark) {
      event::IoResult r = event::ReadOnce(fd_, in_, kReadSize, &n, peer_closed_);
      if (r == event::IoResult::kDrained) readable_ = false;
      if (r == event::IoResult::kEof || r == event::IoResult::kError) return Abort(0);
      progress |= n > 0;
    }
    if (up->readable && up->out.readable() < w_->options().high_watermark) {
      event::IoResult r = event::ReadOnce(up->fd, up->in, kReadSize, &n, up->peer_closed);
      if (r == event::IoResult::kDrained) up->readable = false;
      if (r == event::IoResult::kEof || r == event::IoResult::kError) {
        Flush();
        return Abort(0);
      }
      progress |= n > 0;
    }
  }
}

void DownstreamConnection::Abort(uint32_t flag) {
  // The response cannot be completed: close both sides; the client sees the connection end.
  info_.flags |= flag;
  if (state_ == State::kProxying || state_ == State::kTunnel) {
    close_after_response_ = true;
    DetachUpstream(false);
    // A request cut short, or a tunnel (status 101) that ended: either way it is reported
    // now, as Envoy logs an upgraded stream when it closes, with the bytes it carried.
    state_ = State::kClosing;
    ReportRequestEnd();
  }
  Close();
}

void DownstreamConnection::StartDrain() {
  draining_ = true;
  if (state_ == State::kIdle) {
    Close();
  } else {
    close_after_response_ = true;
  }
}

void DownstreamConnection::Close() {
  if (state_ == State::kClosed) return;
  if (up_ != nullptr) DetachUpstream(false);
  if (table_ != nullptr) {
    w_->Release(table_);
    table_ = nullptr;
    w_->counters().requests_active--;
  }
  state_ = State::kClosed;
  header_timer_.Cancel();
  idle_timer_.Cancel();
  route_timer_.Cancel();
  w_->loop().Remove(fd_);
  ::close(fd_);
  fd_ = -1;
  Worker* w = w_;
  w->loop().Defer([w, self = this] { w->ConnectionClosed(self); });
}

}  // namespace canaryd::proxy

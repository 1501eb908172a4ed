#include "proxy/upstream_request.h"

#include <sys/epoll.h>

#include "http/request_checks.h"
#include "proxy/worker.h"

namespace canaryd::proxy {
namespace {

constexpr size_t kReadSize = 16 * 1024;

}  // namespace

UpstreamRequest::~UpstreamRequest() {
  Release(false);
}

bool UpstreamRequest::Connect(const router::Endpoint& endpoint, int64_t connect_timeout_nanos,
                              bool head_method, uint32_t max_requests_per_connection) {
  max_requests_per_connection_ = max_requests_per_connection;
  conn_ = worker_.AcquireUpstream(endpoint);
  if (conn_ == nullptr) return false;
  conn_->Attach(this, connect_timeout_nanos);
  // The connection's codec starts afresh for this request's response, whether the request is
  // encoded here or adopted from a failed attempt.
  head_method_ = head_method;
  conn_->parser().Reset();
  conn_->parser().set_no_body(head_method);
  parsed_ = 0;
  return true;
}

void UpstreamRequest::WriteHead(const http::MessageHead& head, const char* base,
                                const UpstreamRequestSpec& spec) {
  WriteUpstreamRequest(head, base, spec, conn_->out());
}

void UpstreamRequest::WriteBody(const char* data, size_t len, bool chunked) {
  FrameBody(conn_->out(), data, len, chunked);
}

void UpstreamRequest::WriteEnd(bool chunked) {
  FrameEnd(conn_->out(), chunked);
}

void UpstreamRequest::WriteFramed(const http::Buffer& framed) {
  conn_->out().Append(framed.read_ptr(), framed.readable());
}

void UpstreamRequest::FrameBody(http::Buffer& out, const char* data, size_t len, bool chunked) {
  if (chunked) {
    out.AppendHex(len);
    out.Append("\r\n", 2);
    out.Append(data, len);
    out.Append("\r\n", 2);
  } else {
    out.Append(data, len);
  }
}

void UpstreamRequest::FrameEnd(http::Buffer& out, bool chunked) {
  if (chunked) out.Append("0\r\n\r\n", 5);
}

void UpstreamRequest::AdoptPending(http::Buffer&& pending) {
  conn_->out() = std::move(pending);
}

http::Buffer UpstreamRequest::TakePending() {
  return std::move(conn_->out());
}

UpstreamRequest::Outcome UpstreamRequest::Flush() {
  if (connect_failed_) return Outcome::kConnectFailed;
  if (conn_ == nullptr || !conn_->connected() || conn_->out().empty()) return Outcome::kPending;
  Transport& t = conn_->transport();
  if (!t.writable()) return Outcome::kPending;
  http::Buffer& out = conn_->out();
  size_t before = out.readable();
  event::IoResult r = t.Write(out);
  if (out.readable() < before) request_sent_ = true;
  if (r == event::IoResult::kError) return Outcome::kReset;
  if (out.empty()) out.ShrinkIfEmpty();
  return Outcome::kPending;
}

UpstreamRequest::Outcome UpstreamRequest::ReadResponse(ResponseSink& sink, bool request_done) {
  if (connect_failed_) return Outcome::kConnectFailed;
  if (conn_ == nullptr || !conn_->connected()) return Outcome::kPending;
  http::Buffer& in = conn_->in();
  http::Parser& parser = conn_->parser();
  Transport& t = conn_->transport();
  for (;;) {
    if (sink.ClientBehind()) return Outcome::kPaused;
    if (parsed_ == in.readable() && !parser.completion_pending()) {
      if (!t.readable()) return Outcome::kPending;
      size_t n = 0;
      event::IoResult r = t.Read(in, kReadSize, &n);
      if (r == event::IoResult::kEof || r == event::IoResult::kError) {
        if (r == event::IoResult::kEof && response_started_ &&
            parser.Finish() == http::Parser::State::kMessageComplete) {
          reusable_ = false;
          return Outcome::kComplete;
        }
        if (!response_started_ && conn_->reused() && in.empty()) return Outcome::kStaleConnection;
        return Outcome::kReset;
      }
      if (n == 0) return Outcome::kPending;
    }
    size_t used = 0;
    http::Parser::State s =
        parser.Feed(in.read_ptr(), in.read_ptr() + parsed_, in.readable() - parsed_, &used);
    if (s == http::Parser::State::kError) return Outcome::kProtocolError;
    if (s == http::Parser::State::kHeadComplete) {
      parsed_ += used;
      const http::MessageHead& head = parser.head();
      const char* reason = "";
      if (http::CheckResponseHead(head, in.read_ptr(), &reason) != 0) {
        return Outcome::kProtocolError;
      }
      if (head.status >= 100 && head.status < 200 && head.status != 101) {
        sink.OnInformational(head, in.read_ptr());
      } else {
        ResponseSink::HeadDecision d = sink.OnResponseHead(head, in.read_ptr());
        if (d == ResponseSink::HeadDecision::kReject) return Outcome::kProtocolError;
        if (d == ResponseSink::HeadDecision::kRetry) return Outcome::kRetry;
        response_started_ = true;
        if (d == ResponseSink::HeadDecision::kUpgrade) {
          in.Consume(parsed_);
          parsed_ = 0;
          return Outcome::kUpgraded;
        }
      }
      in.Consume(parsed_);
      parsed_ = 0;
      parser.Resume();
      continue;
    }
    for (const auto& piece : parser.body()) sink.OnResponseBody(piece.data, piece.length);
    parsed_ += used;
    // A head that is not complete stays in the buffer: the parser's slices are offsets from its
    // first byte. Body bytes are written out, so they go.
    if (!parser.head_complete()) continue;
    in.Consume(parsed_);
    parsed_ = 0;
    if (s == http::Parser::State::kMessageComplete) {
      int status = parser.head().status;
      if (status >= 100 && status < 200) {  // informational: the final response follows
        parser.Reset();
        parser.set_no_body(head_method_);
        response_started_ = false;
        continue;
      }
      reusable_ = parser.head().keep_alive && request_done && in.empty();
      return Outcome::kComplete;
    }
    sink.FlushToClient();
    if (conn_ == nullptr) return Outcome::kStopped;  // the client side failed and let go of it
  }
}

void UpstreamRequest::Release(bool reusable) {
  if (conn_ == nullptr) return;
  UpstreamConnection* c = conn_;
  conn_ = nullptr;
  c->Detach();
  if (max_requests_per_connection_ > 0 && c->requests() >= max_requests_per_connection_) {
    reusable = false;
  }
  if (reusable && c->connected() && c->out().empty()) {
    worker_.ReleaseUpstream(c);
  } else {
    c->Close();
  }
}

void UpstreamRequest::OnUpstreamEvents(uint32_t events) {
  if (!conn_->connected()) {
    if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
      if ((events & (EPOLLERR | EPOLLHUP)) || !conn_->FinishConnect()) connect_failed_ = true;
    }
  }
  if (!connect_failed_) conn_->transport().OnEvents(events);
  owner_.OnUpstreamActivity(this);
}

void UpstreamRequest::OnConnectTimeout() {
  connect_failed_ = true;
  owner_.OnUpstreamActivity(this);
}

}  // namespace canaryd::proxy

// UpstreamRequest: one attempt of a request on one endpoint. It takes a pooled connection (or
// opens one), owns that connection's codec while it runs — the request head and body it encodes,
// the response it parses — and gives the connection back (or closes it) when it ends. What
// happens is returned as values (Outcome); the response itself goes to a ResponseSink as it is
// parsed. A retry is a new UpstreamRequest. Built by the ActiveStream that owns it; loop thread
// only.
#pragma once

#include <cstddef>
#include <cstdint>

#include "http/buffer.h"
#include "http/message.h"
#include "proxy/head_writer.h"
#include "proxy/upstream_connection.h"

namespace canaryd::proxy {

class Worker;

// Where a response goes as it is parsed (the client side of the stream).
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  // A 1xx other than 101: passed on or dropped; parsing goes on.
  virtual void OnInformational(const http::MessageHead& head, const char* base) = 0;
  // The final head: passed on (kForward), passed on as the start of a tunnel (kUpgrade: parsing
  // stops with Outcome::kUpgraded), not passable (kReject: Outcome::kProtocolError), or to be
  // tried again under the route's retry policy (kRetry: Outcome::kRetry, nothing passed on).
  enum class HeadDecision { kForward, kUpgrade, kReject, kRetry };
  virtual HeadDecision OnResponseHead(const http::MessageHead& head, const char* base) = 0;
  virtual void OnResponseBody(const char* data, size_t len) = 0;
  // After each batch of body bytes: send what is queued for the client.
  virtual void FlushToClient() = 0;
  // True while the client has too much unsent: reading the upstream pauses.
  virtual bool ClientBehind() const = 0;
};

class UpstreamRequest final : public UpstreamConnection::User {
 public:
  // Gets the connection's I/O and connect-timeout events; it then calls Flush/ReadResponse. It
  // may destroy the UpstreamRequest from there.
  class Owner {
   public:
    virtual ~Owner() = default;
    virtual void OnUpstreamActivity(UpstreamRequest* request) = 0;
  };

  enum class Outcome {
    kPending,          // nothing decided; more I/O to come
    kPaused,           // the client is behind: reading stopped until it catches up
    kConnectFailed,    // no connection (refused, reset or timed out while connecting)
    kStaleConnection,  // a pooled connection the upstream had closed: nothing was processed
    kReset,            // the connection broke before the response was complete
    kProtocolError,    // the upstream's bytes are not HTTP
    kComplete,         // the response is complete; Release() decides about the connection
    kUpgraded,         // 101: the connection now carries a tunnel
    kStopped,          // the client side let go of the connection meanwhile
    kRetry,            // the response head asked for a retry (HeadDecision::kRetry)
  };

  UpstreamRequest(Worker& worker, Owner& owner) : worker_(worker), owner_(owner) {}
  ~UpstreamRequest() override;
  UpstreamRequest(const UpstreamRequest&) = delete;
  UpstreamRequest& operator=(const UpstreamRequest&) = delete;

  // Takes an idle connection to the endpoint or starts connecting. False: no socket at all.
  // `head_method`: the request is HEAD, so the response has no body whatever it says.
  // `max_requests_per_connection` (0: none): the connection is closed, not pooled, after that
  // many requests (connectionPool.http.maxRequestsPerConnection).
  bool Connect(const router::Endpoint& endpoint, int64_t connect_timeout_nanos, bool head_method,
               uint32_t max_requests_per_connection = 0);

  // Encoding: the head, body pieces (re-framed as chunked when `chunked`), the end.
  void WriteHead(const http::MessageHead& head, const char* base, const UpstreamRequestSpec& spec);
  void WriteBody(const char* data, size_t len, bool chunked);
  void WriteEnd(bool chunked);
  // Body bytes already framed for the upstream (a retry's copy of the body sent so far).
  void WriteFramed(const http::Buffer& framed);
  // The framing WriteBody and WriteEnd use, into any buffer.
  static void FrameBody(http::Buffer& out, const char* data, size_t len, bool chunked);
  static void FrameEnd(http::Buffer& out, bool chunked);
  // Replaces what is queued with `pending`: a retry takes over the bytes a failed attempt could
  // not send.
  void AdoptPending(http::Buffer&& pending);
  http::Buffer TakePending();
  size_t buffered() const { return conn_ != nullptr ? conn_->out().readable() : 0; }

  // Sends what is queued, as far as the connection takes it. kConnectFailed or kReset when the
  // connection is broken, else kPending.
  Outcome Flush();
  // Reads and parses the response into `sink` until it is complete, the connection has no more
  // for now, or the client is behind. `request_done`: the whole request was queued (a response
  // that ends before cannot leave the connection reusable).
  Outcome ReadResponse(ResponseSink& sink, bool request_done);
  // After kComplete: whether the connection may serve another request.
  bool reusable() const { return reusable_; }
  // Gives the connection back to the pool (reusable) or closes it. Idempotent.
  void Release(bool reusable);

  bool attached() const { return conn_ != nullptr; }
  bool connected() const { return conn_ != nullptr && conn_->connected(); }
  bool connect_failed() const { return connect_failed_; }
  bool request_sent() const { return request_sent_; }
  UpstreamConnection* connection() { return conn_; }

  // UpstreamConnection::User
  void OnUpstreamEvents(uint32_t events) override;
  void OnConnectTimeout() override;

 private:
  Worker& worker_;
  Owner& owner_;
  UpstreamConnection* conn_ = nullptr;
  size_t parsed_ = 0;
  bool head_method_ = false;
  uint32_t max_requests_per_connection_ = 0;
  bool request_sent_ = false;  // some request bytes reached the socket
  bool response_started_ = false;
  bool connect_failed_ = false;
  bool reusable_ = false;
};

}  // namespace canaryd::proxy

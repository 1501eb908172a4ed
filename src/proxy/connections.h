// DownstreamConnection: one client connection. It is a transport, the HTTP/1 server codec that
// reads requests from it and reports them as stream events (Http1ServerCodec: one request at a
// time; pipelined requests wait in its input buffer), and the ActiveStream of the request in
// flight, which it takes through the forwarding phases: route, pick, upstream request
// (UpstreamRequest), response, log. Retry decisions read the route's RetryPolicy. Loop thread
// only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "event/event_loop.h"
#include "http/buffer.h"
#include "proxy/active_stream.h"
#include "proxy/http1_server_codec.h"
#include "proxy/transport.h"
#include "proxy/upstream_request.h"
#include "proxy/worker.h"

namespace canaryd::proxy {

class DownstreamConnection final : public event::IoHandler,
                                   private Http1ServerCodec::Callbacks,
                                   private UpstreamRequest::Owner,
                                   private ResponseSink {
 public:
  DownstreamConnection(Worker* worker, int fd, uint32_t gateway_port, std::string peer);
  ~DownstreamConnection() override;

  void OnIo(uint32_t events) override;
  // Drain: close now when idle, or after the current response.
  void StartDrain();
  bool idle() const { return state_ == State::kIdle && codec_.idle(); }

 private:
  // kActive: a request head was parsed and its stream is being served.
  enum class State { kIdle, kReadingHead, kActive, kClosing, kClosed };
  // Resends of a request without a body after a pooled connection turned out closed by the
  // upstream before it read anything (not a retry: nothing reached the upstream).
  static constexpr int kMaxStaleResends = 3;
  // The most request body kept for retries (Envoy buffers a request for retries likewise, up to
  // its buffer limit); a larger body is streamed and its request is not retried.
  static constexpr size_t kRetryBodyLimit = 64 * 1024;

  // ---- the codec's events (Http1ServerCodec::Callbacks)
  void Drive();  // lets the codec read and parse as far as the stream allows
  void OnRequestBegin() override;
  void OnRequestHead(const http::MessageHead& head, const char* base) override;
  void OnRequestBody(const char* data, size_t len) override;
  void OnRequestBodyRead(bool end_stream) override;
  void OnRequestError(int status, bool in_body) override;
  void OnClientClosed() override;
  bool AcceptsBody() override;
  // The stream is forwarding: routed or being routed, not a tunnel, not answered.
  bool Proxying() const {
    return state_ == State::kActive && stream_->phase <= ActiveStream::Phase::kUpstream;
  }

  // ---- the phases
  void StartRequest(const http::MessageHead& head, const char* base);
  // An absolute-form target: route and forward by its authority and origin-form path.
  void UseAbsoluteTarget();
  void RouteRequest();  // kRoute, then kFault
  // kFault's end (after the delay, if any): the abort, or the route's action (then kPick).
  void DispatchRoute();
  void OnFaultDelayEnd();
  bool Draw(uint32_t per_million);  // true for that share of the calls (the worker's random)
  // The request's hash on `key`; with a key that makes cookies, a new cookie when it has none
  // (its Set-Cookie goes on the response). False when there is nothing to hash on.
  bool HashOf(const router::HashKey& key, uint64_t* hash);
  // Tells outlier detection what the attempt on the current endpoint came to: its response's
  // status, or 0 for a local-origin failure (connect failure, reset, timeout).
  void ReportToOutlier(uint32_t status);
  // The upstream request's head settings for the current stream on endpoint `ep`.
  UpstreamRequestSpec ForwardSpec(const router::Endpoint& ep) const;
  // The route's mirrors: a copy of the whole request to each whose share is drawn.
  void SendMirrors();

 public:
  // The request waited for its cluster's connection pool (connectionPool limits) and may go.
  void ResumeFromPending();
  // Whether the current request waits for the pool of cluster `id`.
  bool PendingOn(uint32_t cluster) const {
    return state_ == State::kActive && stream_ && stream_->pending_pool &&
           stream_->cluster != nullptr && stream_->cluster->id == cluster;
  }

 private:
  static constexpr int64_t kShadowTimeoutNanos = 15'000'000'000;  // without a route timeout
  // kPick, then kUpstream: an endpoint (not `avoid`) and an UpstreamRequest to it. `pending`: the
  // request bytes a failed attempt did not send, which the new one sends instead of a new head.
  void StartAttempt(int avoid, http::Buffer* pending);
  // `carried`: the bytes an attempt that failed before it had a connection was to send.
  void OnConnectFailed(http::Buffer* carried = nullptr);
  void OnRouteTimeout();
  void OnPerTryTimeout();
  // Whether the request may go to another attempt now, after `condition` (what the route's
  // policy says of the failure) held: within the retry limit (else response flag URX), within
  // the cluster's retry budget (else UO), and with the whole request at hand (`replayable`).
  // When true, the new attempt is counted; the caller starts it.
  bool MayRetry(bool condition, bool replayable);
  void ReleaseRetryBudget();
  // A copy of body bytes for a retry, framed as sent, within kRetryBodyLimit.
  void KeepForRetry(const char* data, size_t len, bool end);
  void ArmPerTryTimeout();
  // The attempt lost its connection before the response head: another one, or 503 UC.
  void UpstreamReset();
  void FlushUpstream();
  void ReadResponse();
  // A response head the gateway cannot pass on: 502, response flag UPE.
  void BadResponseHead();
  void ResponseComplete(bool upstream_reusable);
  void UpstreamFailed(uint32_t flag);
  void LocalReply(int status, uint32_t flag, std::string_view body,
                  std::string_view extra_headers = {});
  // The request is over, answered or cut short: report it to the observer and let go of its
  // route table (kDone).
  void ReportRequestEnd();
  void FinishRequest();
  void Tunnel();
  // Lets go of the current attempt's connection (to the pool when reusable). The UpstreamRequest
  // object stays until the next stream: this may run inside its callbacks.
  void DetachUpstream(bool reusable);
  UpstreamRequest* Attached();  // the current attempt while it holds a connection, else null
  void FinishedOnEndpoint();

  // ---- the client side
  void Flush();
  void Close();
  void Abort(uint32_t flag);

  // UpstreamRequest::Owner
  void OnUpstreamActivity(UpstreamRequest* request) override;
  // ResponseSink
  void OnInformational(const http::MessageHead& head, const char* base) override;
  HeadDecision OnResponseHead(const http::MessageHead& head, const char* base) override;
  void OnResponseBody(const char* data, size_t len) override;
  void FlushToClient() override { Flush(); }
  bool ClientBehind() const override { return out_.readable() > w_->options().high_watermark; }

  Worker* w_;
  PlainTransport transport_;
  uint32_t gateway_port_;
  std::string peer_;
  State state_ = State::kIdle;
  Http1ServerCodec codec_;
  http::Buffer out_;
  bool close_after_response_ = false;
  bool draining_ = false;
  bool need_drive_ = false;
  event::Timer header_timer_, idle_timer_;

  // The request in flight (from its first byte), or the last one until the next begins.
  std::optional<ActiveStream> stream_;
};

}  // namespace canaryd::proxy

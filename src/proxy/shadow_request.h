// ShadowRequest: one mirrored copy of a request (a VirtualService's `mirror` / `mirrors`), sent
// fire-and-forget to the mirror's endpoint once the original request is complete, as Envoy's
// request shadowing does: its response is read and dropped, its failures are counted and touch
// nothing of the original. The worker owns every shadow in flight (at most kMaxShadows) and
// frees it when it ends or its timeout expires. Loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>

#include "event/event_loop.h"
#include "proxy/upstream_request.h"

namespace canaryd::proxy {

class ShadowRequest final : public UpstreamRequest::Owner, public ResponseSink {
 public:
  static constexpr size_t kMaxShadows = 1024;  // per worker; more are dropped (counted)

  explicit ShadowRequest(Worker& worker);
  ShadowRequest(const ShadowRequest&) = delete;
  ShadowRequest& operator=(const ShadowRequest&) = delete;

  // Connects to `endpoint` and queues the request head (as `spec` says) and the framed body.
  // False when no socket could be had: the worker frees the shadow at once.
  bool Start(const router::Endpoint& endpoint, int64_t connect_timeout_nanos,
             const http::MessageHead& head, const char* base, const UpstreamRequestSpec& spec,
             const http::Buffer& framed_body, int64_t timeout_nanos);

  // UpstreamRequest::Owner
  void OnUpstreamActivity(UpstreamRequest* request) override;
  // ResponseSink: the response is dropped.
  void OnInformational(const http::MessageHead&, const char*) override {}
  HeadDecision OnResponseHead(const http::MessageHead& head, const char* base) override;
  void OnResponseBody(const char*, size_t) override {}
  void FlushToClient() override {}
  bool ClientBehind() const override { return false; }

 private:
  // Ends the shadow: counts it, gives the connection back (or closes it), asks the worker to
  // free it after the current event.
  void Finish(bool ok, bool reusable);

  Worker& worker_;
  UpstreamRequest upstream_;
  event::Timer timeout_;
  uint32_t status_ = 0;
  bool done_ = false;
};

}  // namespace canaryd::proxy

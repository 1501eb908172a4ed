#include "proxy/shadow_request.h"

#include "proxy/worker.h"

namespace canaryd::proxy {

ShadowRequest::ShadowRequest(Worker& worker)
    : worker_(worker),
      upstream_(worker, *this),
      timeout_(&worker.loop(), [this] { Finish(false, false); }) {}

bool ShadowRequest::Start(const router::Endpoint& endpoint, int64_t connect_timeout_nanos,
                          const http::MessageHead& head, const char* base,
                          const UpstreamRequestSpec& spec, const http::Buffer& framed_body,
                          int64_t timeout_nanos) {
  if (!upstream_.Connect(endpoint, connect_timeout_nanos, head.method == HTTP_HEAD)) return false;
  upstream_.WriteHead(head, base, spec);
  upstream_.WriteFramed(framed_body);
  timeout_.Arm(timeout_nanos);
  if (upstream_.connected()) OnUpstreamActivity(&upstream_);
  return true;
}

void ShadowRequest::OnUpstreamActivity(UpstreamRequest* request) {
  if (done_ || request != &upstream_) return;
  if (upstream_.connect_failed()) return Finish(false, false);
  switch (upstream_.Flush()) {
    case UpstreamRequest::Outcome::kConnectFailed:
    case UpstreamRequest::Outcome::kReset:
      return Finish(false, false);
    default:
      break;
  }
  switch (upstream_.ReadResponse(*this, /*request_done=*/true)) {
    case UpstreamRequest::Outcome::kPending:
    case UpstreamRequest::Outcome::kPaused:
    case UpstreamRequest::Outcome::kStopped:
      return;
    case UpstreamRequest::Outcome::kComplete:
      return Finish(status_ < 500, upstream_.reusable());
    default:  // connect failure, reset, stale connection, protocol error, an upgrade
      return Finish(false, false);
  }
}

ResponseSink::HeadDecision ShadowRequest::OnResponseHead(const http::MessageHead& head,
                                                         const char*) {
  status_ = static_cast<uint32_t>(head.status);
  // A shadow is never a tunnel: a 101 ends it.
  return head.status == 101 ? HeadDecision::kReject : HeadDecision::kForward;
}

void ShadowRequest::Finish(bool ok, bool reusable) {
  if (done_) return;
  done_ = true;
  timeout_.Cancel();
  WorkerCounters& c = worker_.counters();
  if (ok) {
    c.mirror_succeeded++;
  } else {
    c.mirror_failed++;
  }
  upstream_.Release(reusable);
  worker_.ShadowDone(this);
}

}  // namespace canaryd::proxy

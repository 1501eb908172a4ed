#include "proxy/connections.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "event/io.h"
#include "http/header_lists.h"
#include "http/request_checks.h"
#include "http/request_target.h"
#include "proxy/shadow_request.h"

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

// The header changes for the request (or the response), the destination's level first.
router::HeaderLevels ChangesOf(const router::HeaderChanges* destination, const router::Route& route,
                               bool response) {
  router::HeaderLevels levels;
  if (destination != nullptr) {
    const router::HeaderOps& d = response ? destination->response : destination->request;
    if (!d.empty()) levels.levels[0] = &d;
  }
  const router::HeaderOps& r = response ? route.headers.response : route.headers.request;
  if (!r.empty()) levels.levels[1] = &r;
  return levels;
}

// Counts what AppendCodingsBeforeChunked would write.
struct CodingCounter {
  void Append(std::string_view) {}
  void Append(const char*, size_t) {}
};

}  // namespace

DownstreamConnection::DownstreamConnection(Worker* w, int fd, uint32_t gateway_port,
                                           std::string peer)
    : w_(w),
      transport_(fd),
      gateway_port_(gateway_port),
      peer_(std::move(peer)),
      codec_(transport_, *this, w->options().limits),
      header_timer_(&w->loop(),
                    [this] {
                      w_->counters().rejected_408++;
                      stream_->info.flags |= kStreamIdleTimeout;
                      close_after_response_ = true;
                      LocalReply(408, kStreamIdleTimeout, "request timeout\n");
                    }),
      idle_timer_(&w->loop(), [this] { Close(); }) {
  idle_timer_.Arm(w_->options().idle_timeout_nanos);
}

void DownstreamConnection::OnIo(uint32_t events) {
  if (state_ == State::kClosed) return;
  if (events & (EPOLLERR | EPOLLHUP)) {
    if (state_ == State::kActive) return Abort(kDownstreamConnectionTermination);
    return Close();
  }
  transport_.OnEvents(events);
  if (!out_.empty()) Flush();
  if (state_ == State::kActive && stream_->phase == ActiveStream::Phase::kTunnel) return Tunnel();
  Drive();
}

// ------------------------------------------------------------------ the codec's events

void DownstreamConnection::Drive() {
  need_drive_ = false;
  // An answered request (or a tunnel) reads nothing more from the client as HTTP.
  if (state_ == State::kClosing || state_ == State::kClosed) return;
  if (state_ == State::kActive && !Proxying()) return;
  codec_.Dispatch();
}

void DownstreamConnection::OnRequestBegin() {
  state_ = State::kReadingHead;
  idle_timer_.Cancel();
  header_timer_.Arm(w_->options().request_header_timeout_nanos);
  stream_.emplace(
      &w_->loop(), [this] { OnRouteTimeout(); }, [this] { OnFaultDelayEnd(); },
      [this] { OnPerTryTimeout(); });
  stream_->info.start_nanos = w_->loop().now();
  stream_->info.start_wall_micros = w_->loop().wall_micros();
}

void DownstreamConnection::OnRequestHead(const http::MessageHead& head, const char* base) {
  header_timer_.Cancel();
  StartRequest(head, base);
}

void DownstreamConnection::OnRequestError(int status, bool in_body) {
  header_timer_.Cancel();
  close_after_response_ = true;
  if (status == 431) {
    w_->counters().rejected_431++;
  } else {
    w_->counters().rejected_400++;
  }
  // A body gone bad after the response began cannot be answered any more.
  if (in_body && stream_->response_started) return Abort(kDownstreamProtocolError);
  if (in_body) DetachUpstream(false);
  LocalReply(status, kDownstreamProtocolError,
             status == 431 ? "request header fields too large\n" : "bad request\n");
}

void DownstreamConnection::OnClientClosed() {
  if (Proxying() && !stream_->request_done) return Abort(kDownstreamConnectionTermination);
  if (!Proxying()) Close();
}

bool DownstreamConnection::AcceptsBody() {
  // Before the upstream request (a fault delay, the pool's queue), the body waits in the socket.
  if (!Proxying() || stream_->request_done || stream_->phase != ActiveStream::Phase::kUpstream) {
    return false;
  }
  UpstreamRequest* up = Attached();
  return up == nullptr || up->buffered() <= w_->options().high_watermark;
}

void DownstreamConnection::OnRequestBody(const char* data, size_t len) {
  ActiveStream& st = *stream_;
  st.info.bytes_received += len;
  if (UpstreamRequest* up = Attached(); up != nullptr) {
    up->WriteBody(data, len, st.chunked_request);
  }
  KeepForRetry(data, len, false);
}

void DownstreamConnection::OnRequestBodyRead(bool end_stream) {
  ActiveStream& st = *stream_;
  UpstreamRequest* up = Attached();
  bool mirror = false;
  if (end_stream) {
    st.request_done = true;
    if (up != nullptr) up->WriteEnd(st.chunked_request);
    KeepForRetry(nullptr, 0, true);
    mirror = !st.route->mirrors.empty();
    ArmPerTryTimeout();
  }
  if (up != nullptr && up->connected()) FlushUpstream();
  // Copies go once the request is whole, as Envoy's shadowing buffers it, and after the
  // original has been written, so that they never go ahead of it.
  if (mirror && state_ == State::kActive && stream_ && stream_->route != nullptr) {
    SendMirrors();
  }
}

// ------------------------------------------------------------------ the phases

void DownstreamConnection::StartRequest(const http::MessageHead& head, const char* base) {
  ActiveStream& st = *stream_;
  const char* reason = "";
  if (int status = http::CheckRequestHead(head, base, &reason); status != 0) {
    w_->counters().rejected_400++;
    close_after_response_ = true;
    return LocalReply(status, kDownstreamProtocolError, std::string(reason) + "\n");
  }
  w_->counters().requests_total++;
  w_->counters().requests_active++;
  state_ = State::kActive;
  st.phase = ActiveStream::Phase::kRoute;
  st.chunked_request = head.chunked;
  close_after_response_ = !head.keep_alive || draining_ || transport_.peer_closed();
  st.table = w_->current_table();
  w_->Acquire(st.table);
  RequestInfo& info = st.info;
  info.table_generation = st.table->table->generation();

  info.method = MethodOf(head, base);
  info.path = head.url.in(base);
  info.authority = head.Find(base, "host");
  if (!info.path.empty() && info.path[0] != '/') UseAbsoluteTarget();
  info.protocol = head.http_minor == 0 ? "HTTP/1.0" : "HTTP/1.1";
  info.user_agent = head.Find(base, "user-agent");
  info.forwarded_for = head.Find(base, "x-forwarded-for");
  info.client_address = ClientAddress(peer_);
  info.downstream_address = peer_;
  st.request_id = head.Find(base, "x-request-id");
  if (st.request_id.empty()) {
    w_->FormatRequestId(st.request_id_buf);
    st.request_id = std::string_view(st.request_id_buf, 36);
  }
  info.request_id = st.request_id;
  RouteRequest();
}

void DownstreamConnection::UseAbsoluteTarget() {
  // RFC 9112 3.2.2: the target's authority replaces Host; routing and the upstream see the path
  // in origin form, as Envoy does.
  ActiveStream& st = *stream_;
  http::AbsoluteTarget parts;
  if (!http::SplitAbsoluteForm(st.info.path, &parts)) return;  // "*": left as it is
  st.absolute_target = true;
  st.info.authority = parts.authority;
  if (!parts.rest.empty() && parts.rest.front() == '/') {
    st.info.path = parts.rest;
  } else {
    st.origin_target.assign("/");
    st.origin_target.append(parts.rest);
    st.info.path = st.origin_target;
  }
}

void DownstreamConnection::RouteRequest() {
  ActiveStream& st = *stream_;
  RequestInfo& info = st.info;
  const http::MessageHead& head = codec_.head();
  const char* base = codec_.head_base();
  const router::RouteTable& table = *st.table->table;
  std::pair<const http::MessageHead*, const char*> header_ctx{&head, base};
  router::RequestView view;
  view.method = info.method;
  http::SplitTarget(info.path, &view.path, &view.query);
  view.authority = info.authority;
  view.scheme = "http";
  view.port = gateway_port_;
  view.find_header = &FindHeaderCallback;
  view.header_ctx = &header_ctx;

  const router::VirtualHost* vhost = table.FindVirtualHost(gateway_port_, info.authority);
  const router::Route* route = vhost ? table.Match(*vhost, view) : nullptr;
  st.route = route;
  info.route = route;
  if (route == nullptr) return LocalReply(404, kNoRouteFound, "");
  if (route->rewrite.rewrites_path()) {
    const router::MatchBlock* block = route->MatchingBlock(view, vhost->gateway);
    route->rewrite.RewritePath(view.path,
                               block != nullptr && block->has_uri ? &block->uri : nullptr,
                               &st.rewritten_target);
    if (info.path.size() > view.path.size())
      st.rewritten_target.append(info.path.substr(view.path.size()));
  }

  // Envoy's CORS filter, before the fault filter: a preflight from an allowed origin is
  // answered here; other requests from one get the CORS headers on their response.
  if (route->cors.enabled) {
    std::string_view origin = head.Find(base, "origin");
    if (!origin.empty()) {
      bool allowed = route->cors.AllowsOrigin(origin);
      if (head.method == HTTP_OPTIONS && head.Has(base, "access-control-request-method")) {
        if (allowed) {
          std::string preflight;
          route->cors.AppendPreflightHeaders(origin, &preflight);
          return LocalReply(200, 0, "", preflight);
        }
        if (!route->cors.forward_unmatched_preflights) return LocalReply(200, 0, "");
      } else if (allowed) {
        route->cors.AppendResponseHeaders(origin, &st.cors_headers);
      }
    }
  }

  // Envoy's fault filter runs before the router, whatever the route's action.
  st.phase = ActiveStream::Phase::kFault;
  const router::FaultPolicy& fault = route->fault;
  if (fault.delays() && Draw(fault.delay_per_million)) {
    info.flags |= kDelayInjected;
    st.fault_timer.Arm(fault.delay_nanos);
    return;
  }
  DispatchRoute();
}

bool DownstreamConnection::HashOf(const router::HashKey& key, uint64_t* hash) {
  ActiveStream& st = *stream_;
  const http::MessageHead& head = codec_.head();
  std::pair<const http::MessageHead*, const char*> header_ctx{&head, codec_.head_base()};
  router::RequestView view;
  http::SplitTarget(st.info.path, &view.path, &view.query);
  view.find_header = &FindHeaderCallback;
  view.header_ctx = &header_ctx;
  if (router::ComputeHash(key, view, st.info.client_address, hash)) return true;
  if (!key.make_cookie) return false;
  // A first visit: the gateway names the user, and the response tells the client the name.
  upstream::Random& random = w_->lb().random();
  uint64_t a = random.Next();
  std::string value = router::MakeCookieValue(a, random.Next());
  *hash = router::HashBytes(value);
  st.set_cookie += router::SetCookieLine(key, value);
  return true;
}

bool DownstreamConnection::Draw(uint32_t per_million) {
  return w_->lb().random().Next() % router::FaultPolicy::kMillion < per_million;
}

void DownstreamConnection::OnFaultDelayEnd() {
  if (state_ != State::kActive || stream_->phase != ActiveStream::Phase::kFault) return;
  DispatchRoute();
  if (need_drive_) Drive();
}

void DownstreamConnection::DispatchRoute() {
  ActiveStream& st = *stream_;
  RequestInfo& info = st.info;
  const router::Route* route = st.route;
  const http::MessageHead& head = codec_.head();
  const char* base = codec_.head_base();
  const router::RouteTable& table = *st.table->table;
  const router::FaultPolicy& fault = route->fault;
  if (fault.aborts() && Draw(fault.abort_per_million)) {
    return LocalReply(static_cast<int>(fault.abort_status), kFaultInjected, "fault filter abort");
  }

  switch (route->action) {
    case router::Route::Action::kDirectResponse:
      return LocalReply(static_cast<int>(route->direct_status), 0, route->direct_body);
    case router::Route::Action::kRedirect: {
      std::string_view path, query;
      http::SplitTarget(info.path, &path, &query);
      std::string location = route->redirect_scheme.empty() ? "http" : route->redirect_scheme;
      location += "://";
      std::string_view host = route->redirect_authority.empty()
                                  ? info.authority.substr(0, info.authority.find(':'))
                                  : std::string_view(route->redirect_authority);
      location += host;
      if (route->redirect_port != 0) location += ":" + std::to_string(route->redirect_port);
      location += route->redirect_uri.empty() ? std::string(path) : route->redirect_uri;
      if (!query.empty() && route->redirect_uri.find('?') == std::string::npos) {
        location += "?" + std::string(query);
      }
      return LocalReply(static_cast<int>(route->redirect_code), 0, "",
                        "location: " + location + "\r\n");
    }
    case router::Route::Action::kForward:
      break;
  }

  st.phase = ActiveStream::Phase::kPick;
  if (route->clusters.empty()) {
    return LocalReply(503, kNoClusterFound, "no healthy upstream\n");
  }
  const router::WeightedCluster* picked = nullptr;
  uint64_t user = 0;
  if (route->sticky.enabled() && route->clusters.size() > 1 && HashOf(route->sticky, &user)) {
    picked = &route->clusters[route->StickyPick(router::StickyBucket(user))];
  }
  const router::WeightedCluster& wc = picked ? *picked : w_->lb().PickCluster(*route);
  st.cluster = &table.clusters()[wc.cluster];
  st.destination_headers = wc.headers.get();
  info.cluster = st.cluster;
  if (st.cluster->missing) return LocalReply(503, kNoClusterFound, "no healthy upstream\n");
  if (st.cluster->endpoints.empty()) {
    return LocalReply(503, kNoHealthyUpstream, "no healthy upstream\n");
  }
  if (st.cluster->endpoint_hash) st.has_hash = HashOf(st.cluster->hash_key, &st.hash);
  if (head.http_minor >= 1 && http::EqualsLower(head.Find(base, "expect"), "100-continue")) {
    out_.Append("HTTP/1.1 100 Continue\r\n\r\n");
    Flush();
  }
  if (route->timeout_nanos > 0) st.route_timer.Arm(route->timeout_nanos);
  // connectionPool: over the cluster's bound of requests in flight, the request waits for one
  // to finish, or is refused when too many wait already (Envoy's overflow, flag UO).
  const router::PoolLimits& pool = st.cluster->pool;
  if (pool.limits_requests() && w_->lb().in_flight(st.cluster->id) >= pool.max_requests) {
    if (w_->pending_count(st.cluster->id) >= pool.max_pending) {
      w_->counters().pool_overflow++;
      return LocalReply(503, kOverloaded,
                        "upstream connect error or disconnect/reset before headers. reset "
                        "reason: overflow\n");
    }
    st.pending_pool = true;
    w_->AddPending(st.cluster->id, this);
    return;
  }
  StartAttempt(-1, nullptr);
}

void DownstreamConnection::ResumeFromPending() {
  if (state_ != State::kActive || !stream_ || !stream_->pending_pool) return;
  stream_->pending_pool = false;
  StartAttempt(-1, nullptr);
  if (need_drive_) Drive();
}

void DownstreamConnection::StartAttempt(int avoid, http::Buffer* pending) {
  ActiveStream& st = *stream_;
  st.phase = ActiveStream::Phase::kPick;
  if (st.cluster->outlier.enabled) w_->lb().ReturnEjected(*st.cluster, w_->loop().now());
  st.endpoint = w_->lb().PickEndpoint(*st.cluster, avoid, st.has_hash ? &st.hash : nullptr);
  st.lb_generation = w_->lb().generation();
  const router::Endpoint& ep = st.cluster->endpoints[st.endpoint];
  st.info.endpoint = &ep;
  st.upstream.emplace(*w_, static_cast<UpstreamRequest::Owner&>(*this));
  UpstreamRequest& up = *st.upstream;
  const http::MessageHead& head = codec_.head();
  if (!up.Connect(ep, st.cluster->connect_timeout_nanos, head.method == HTTP_HEAD,
                  st.cluster->pool.max_requests_per_connection)) {
    return OnConnectFailed(pending);
  }
  w_->lb().Started(st.cluster->id, st.endpoint);
  st.lb_counted = true;
  st.phase = ActiveStream::Phase::kUpstream;
  // A retry sends the request again from its head and the kept body, so that its head says
  // which attempt it is; a body too large to keep can only be a connect failure's unsent bytes.
  bool replay = st.retries > 0 && st.retry_body_complete;
  if (!replay && pending != nullptr && !pending->empty()) {
    // Nothing of it reached the failed endpoint: the same bytes go to this one.
    up.AdoptPending(std::move(*pending));
  } else {
    UpstreamRequestSpec spec = ForwardSpec(ep);
    if (st.route->retry.send_attempt_count) spec.attempt_count = st.retries + 1;
    up.WriteHead(head, codec_.head_base(), spec);
    if (st.retries > 0) up.WriteFramed(st.retry_body);
  }
  st.info.attempts = st.retries + 1;
  if (st.request_done) ArmPerTryTimeout();
  st.info.upstream_start_nanos = w_->loop().now();
  if (up.connected()) FlushUpstream();
  // The body (if any) follows as it arrives.
  need_drive_ = true;
}

UpstreamRequestSpec DownstreamConnection::ForwardSpec(const router::Endpoint& ep) const {
  const ActiveStream& st = *stream_;
  const http::MessageHead& head = codec_.head();
  UpstreamRequestSpec spec;
  spec.forwarded_for = st.info.forwarded_for;
  spec.client_address = st.info.client_address;
  spec.request_id = st.request_id;
  spec.target = st.info.path;
  spec.headers = ChangesOf(st.destination_headers, *st.route, false);
  if (st.absolute_target) spec.host_override = st.info.authority;
  if (!spec.headers.empty()) {
    if (const std::string* host = spec.headers.SetValue("host")) spec.host_override = *host;
  }
  if (!st.route->rewrite.authority.empty()) spec.host_override = st.route->rewrite.authority;
  if (st.route->rewrite.rewrites_path()) {
    spec.target = st.rewritten_target;
    spec.original_path = st.info.path;
  }
  spec.chunked_body = head.chunked;
  spec.upgrade = head.upgrade;
  spec.host_fallback = ep.address_text;
  return spec;
}

void DownstreamConnection::SendMirrors() {
  ActiveStream& st = *stream_;
  const http::MessageHead& head = codec_.head();
  if (head.upgrade) return;  // a tunnel cannot be copied
  const router::RouteTable& table = *st.table->table;
  WorkerCounters& counters = w_->counters();
  for (const router::MirrorPolicy& m : st.route->mirrors) {
    if (m.per_million < router::FaultPolicy::kMillion && !Draw(m.per_million)) continue;
    const router::Cluster& cluster = table.clusters()[m.cluster];
    // A body too large to keep was not kept: it cannot be copied either.
    if (!st.retry_body_complete || cluster.missing || cluster.endpoints.empty()) {
      counters.mirror_dropped++;
      continue;
    }
    ShadowRequest* shadow = w_->NewShadow();
    if (shadow == nullptr) {
      counters.mirror_dropped++;
      continue;
    }
    const router::Endpoint& ep = cluster.endpoints[w_->lb().PickEndpoint(cluster)];
    UpstreamRequestSpec spec = ForwardSpec(ep);
    // Envoy's shadow host: "-shadow" after the host name, before any port.
    std::string_view host = spec.host_override.empty() ? st.info.authority : spec.host_override;
    size_t colon = host.rfind(':');
    if (colon == std::string_view::npos || host.find(']', colon) != std::string_view::npos ||
        (host.find(':') != colon && host.front() != '[')) {
      colon = host.size();
    }
    std::string shadow_host(host.substr(0, colon));
    shadow_host += "-shadow";
    shadow_host += host.substr(colon);
    spec.host_override = shadow_host;
    int64_t timeout = st.route->timeout_nanos > 0 ? st.route->timeout_nanos : kShadowTimeoutNanos;
    if (!shadow->Start(ep, cluster.connect_timeout_nanos, head, codec_.head_base(), spec,
                       st.retry_body, timeout)) {
      counters.mirror_failed++;
      w_->ShadowDone(shadow);
      continue;
    }
    counters.mirror_total++;
  }
}

UpstreamRequest* DownstreamConnection::Attached() {
  if (!stream_ || !stream_->upstream || !stream_->upstream->attached()) return nullptr;
  return &*stream_->upstream;
}

void DownstreamConnection::FinishedOnEndpoint() {
  ActiveStream& st = *stream_;
  if (!st.lb_counted) return;
  st.lb_counted = false;
  // After a table change the counts belong to the new table's clusters: leave them alone.
  if (w_->lb().generation() == st.lb_generation) {
    w_->lb().Finished(st.cluster->id, st.endpoint);
    // A request in flight less: the first that waits for the cluster may go.
    if (st.cluster->pool.limits_requests()) w_->ResumePending(st.cluster->id);
  }
}

void DownstreamConnection::FlushUpstream() {
  UpstreamRequest* up = Attached();
  if (up == nullptr) return;
  switch (up->Flush()) {
    case UpstreamRequest::Outcome::kConnectFailed:
      return OnConnectFailed();
    case UpstreamRequest::Outcome::kReset:
      return UpstreamReset();
    default:
      return;
  }
}

void DownstreamConnection::OnConnectFailed(http::Buffer* carried) {
  ActiveStream& st = *stream_;
  const router::RetryPolicy& policy = st.route->retry;
  bool sent = st.upstream && st.upstream->request_sent();
  http::Buffer pending;
  if (UpstreamRequest* up = Attached()) {
    pending = up->TakePending();
  } else if (carried != nullptr) {
    pending = std::move(*carried);
  }
  ReportToOutlier(0);
  DetachUpstream(false);
  // The request never reached the failed endpoint: under the route's retry policy (Istio's
  // default retries a connect failure twice) it goes to another endpoint, with the bytes the
  // failed attempt could not send when its body was too large to keep.
  if (MayRetry(!sent && policy.RetriesConnectFailure(), true)) {
    return StartAttempt(st.endpoint, &pending);
  }
  LocalReply(503, kUpstreamConnectionFailure,
             "upstream connect error or disconnect/reset before headers. reset reason: "
             "connection failure\n");
}

void DownstreamConnection::OnRouteTimeout() {
  UpstreamFailed(kUpstreamRequestTimeout);
  if (need_drive_) Drive();
}

void DownstreamConnection::OnPerTryTimeout() {
  // Ignored once the response has started, as Envoy does.
  if (!Proxying() || stream_->phase != ActiveStream::Phase::kUpstream) return;
  ActiveStream& st = *stream_;
  if (st.response_started) return;
  ReportToOutlier(0);
  DetachUpstream(false);
  if (MayRetry(st.route->retry.RetriesPerTryTimeout(), st.retry_body_complete)) {
    StartAttempt(st.endpoint, nullptr);
  } else {
    UpstreamFailed(kUpstreamRequestTimeout);
  }
  if (need_drive_) Drive();
}

bool DownstreamConnection::MayRetry(bool condition, bool replayable) {
  ActiveStream& st = *stream_;
  ReleaseRetryBudget();  // the attempt that failed, if it was a retry
  if (!condition || !replayable) return false;
  if (st.retries >= st.route->retry.num_retries) {
    if (st.route->retry.num_retries > 0) {
      st.info.flags |= kUpstreamRetryLimitExceeded;
      w_->counters().retries_limit_exceeded++;
    }
    return false;
  }
  if (!w_->lb().TryStartRetry(st.cluster->id, st.cluster->pool.max_retries)) {
    st.info.flags |= kOverloaded;
    w_->counters().retries_overflow++;
    return false;
  }
  st.retry_counted = true;
  st.retry_generation = w_->lb().generation();
  ++st.retries;
  w_->counters().retries_total++;
  return true;
}

void DownstreamConnection::ReleaseRetryBudget() {
  ActiveStream& st = *stream_;
  if (!st.retry_counted) return;
  st.retry_counted = false;
  if (w_->lb().generation() == st.retry_generation) w_->lb().RetryFinished(st.cluster->id);
}

void DownstreamConnection::KeepForRetry(const char* data, size_t len, bool end) {
  ActiveStream& st = *stream_;
  if (!st.retry_body_complete || st.route == nullptr ||
      (st.route->retry.num_retries == 0 && st.route->mirrors.empty())) {
    return;
  }
  if (st.retry_body.readable() + len + 32 > kRetryBodyLimit) {
    st.retry_body_complete = false;
    st.retry_body = http::Buffer();
    return;
  }
  if (end) {
    UpstreamRequest::FrameEnd(st.retry_body, st.chunked_request);
  } else {
    UpstreamRequest::FrameBody(st.retry_body, data, len, st.chunked_request);
  }
}

void DownstreamConnection::ArmPerTryTimeout() {
  ActiveStream& st = *stream_;
  int64_t timeout = st.route->retry.per_try_timeout_nanos;
  if (timeout > 0 && st.phase == ActiveStream::Phase::kUpstream && !st.response_started) {
    st.per_try_timer.Arm(timeout);
  }
}

void DownstreamConnection::ReportToOutlier(uint32_t status) {
  ActiveStream& st = *stream_;
  if (st.cluster == nullptr || !st.cluster->outlier.enabled || st.endpoint < 0) return;
  // After a table change the endpoint's index means another cluster's.
  if (st.lb_generation != w_->lb().generation()) return;
  if (status == 0) {
    w_->lb().ReportLocalFailure(*st.cluster, st.endpoint, w_->loop().now());
  } else {
    w_->lb().ReportStatus(*st.cluster, st.endpoint, status, w_->loop().now());
  }
}

void DownstreamConnection::UpstreamReset() {
  ActiveStream& st = *stream_;
  if (!st.response_started) {
    bool sent = st.upstream && st.upstream->request_sent();
    ReportToOutlier(0);
    DetachUpstream(false);
    if (MayRetry(st.route->retry.RetriesReset(sent), st.retry_body_complete)) {
      return StartAttempt(st.endpoint, nullptr);
    }
  }
  UpstreamFailed(kUpstreamConnectionTermination);
}

void DownstreamConnection::OnUpstreamActivity(UpstreamRequest* request) {
  if (state_ != State::kActive || Attached() != request) return;
  ActiveStream& st = *stream_;
  if (request->connect_failed()) {
    OnConnectFailed();
  } else if (st.phase == ActiveStream::Phase::kTunnel) {
    return Tunnel();
  } else {
    FlushUpstream();
    // The body that waited for the upstream to take more.
    if (Attached() == request && AcceptsBody()) codec_.Dispatch();
    if (Attached() == request && Proxying()) ReadResponse();
  }
  if (need_drive_) Drive();
}

void DownstreamConnection::ReadResponse() {
  ActiveStream& st = *stream_;
  UpstreamRequest* up = Attached();
  if (up == nullptr) return;
  switch (up->ReadResponse(*this, st.request_done)) {
    case UpstreamRequest::Outcome::kPending:
    case UpstreamRequest::Outcome::kStopped:
      return;
    case UpstreamRequest::Outcome::kPaused:
      st.upstream_paused = true;
      return;
    case UpstreamRequest::Outcome::kConnectFailed:
      return OnConnectFailed();
    case UpstreamRequest::Outcome::kStaleConnection:
      // A pooled connection the upstream had already closed: nothing of the request can have
      // been processed, so a request without a body is sent again on another connection.
      if (!codec_.head().has_body && st.stale_resends < kMaxStaleResends) {
        ++st.stale_resends;
        DetachUpstream(false);
        return StartAttempt(-1, nullptr);
      }
      return UpstreamReset();
    case UpstreamRequest::Outcome::kReset:
      return UpstreamReset();
    case UpstreamRequest::Outcome::kRetry:
      DetachUpstream(false);
      return StartAttempt(st.endpoint, nullptr);
    case UpstreamRequest::Outcome::kProtocolError:
      if (!st.response_started) return BadResponseHead();
      return Abort(kUpstreamProtocolError);
    case UpstreamRequest::Outcome::kComplete:
      return ResponseComplete(up->reusable());
    case UpstreamRequest::Outcome::kUpgraded:
      Flush();
      if (state_ == State::kActive) Tunnel();
      return;
  }
}

void DownstreamConnection::OnInformational(const http::MessageHead& head, const char* base) {
  // 100 Continue was answered by the proxy itself; other 1xx go to HTTP/1.1 clients.
  if (head.status != 100 && codec_.head().http_minor != 0) {
    ResponseSpec spec;
    spec.framing = ResponseFraming::kNone;
    WriteResponseHead(head, base, spec, out_);
  }
}

ResponseSink::HeadDecision DownstreamConnection::OnResponseHead(const http::MessageHead& rh,
                                                                const char* rbase) {
  ActiveStream& st = *stream_;
  const http::MessageHead& qh = codec_.head();
  ReportToOutlier(static_cast<uint32_t>(rh.status));
  // A status the route's policy retries: the response is dropped and the request tried again.
  if (!st.response_started && st.route->retry.num_retries > 0 &&
      MayRetry(st.route->retry.RetriesStatus(static_cast<uint32_t>(rh.status)),
               st.retry_body_complete)) {
    return HeadDecision::kRetry;
  }
  st.per_try_timer.Cancel();
  bool http10 = qh.http_minor == 0;
  ResponseSpec spec;
  spec.http10_client = http10;
  if (rh.status == 101 && qh.upgrade) {
    st.response_started = true;
    st.route_timer.Cancel();
    st.info.response_start_nanos = w_->loop().now();
    st.info.status = rh.status;
    spec.upgrade = true;
    spec.framing = ResponseFraming::kNone;
    WriteResponseHead(rh, rbase, spec, out_);
    st.phase = ActiveStream::Phase::kTunnel;
    return HeadDecision::kUpgrade;
  }
  if (!rh.has_body || rh.content_length >= 0) {
    st.framing = ResponseFraming::kContentLength;
  } else if (http10) {
    // HTTP/1.0 has no transfer codings: a body coded with more than chunked cannot reach it.
    CodingCounter codings;
    if (http::AppendCodingsBeforeChunked(rh, rbase, codings) > 0) return HeadDecision::kReject;
    st.framing = ResponseFraming::kUntilClose;
    close_after_response_ = true;
  } else {
    st.framing = ResponseFraming::kChunked;
  }
  st.response_started = true;
  st.route_timer.Cancel();
  st.info.response_start_nanos = w_->loop().now();
  st.info.status = rh.status;
  if (!st.request_done || transport_.peer_closed() || w_->draining()) {
    close_after_response_ = true;
  }
  spec.framing = st.framing;
  spec.headers = ChangesOf(st.destination_headers, *st.route, true);
  spec.cors_headers = st.cors_headers;
  spec.set_cookie = st.set_cookie;
  spec.close = close_after_response_;
  spec.keep_alive_10 = http10 && !close_after_response_;
  WriteResponseHead(rh, rbase, spec, out_);
  return HeadDecision::kForward;
}

void DownstreamConnection::BadResponseHead() {
  ReportToOutlier(502);
  DetachUpstream(false);
  close_after_response_ = close_after_response_ || !stream_->request_done;
  LocalReply(502, kUpstreamProtocolError, "upstream sent a malformed response\n");
}

void DownstreamConnection::OnResponseBody(const char* data, size_t len) {
  if (len == 0) return;
  ActiveStream& st = *stream_;
  st.info.bytes_sent += len;
  if (st.framing == ResponseFraming::kChunked) {
    out_.AppendHex(len);
    out_.Append("\r\n", 2);
    out_.Append(data, len);
    out_.Append("\r\n", 2);
    return;
  }
  if (out_.empty() && transport_.writable()) {
    // Straight from the upstream's buffer to the client socket when nothing is queued.
    size_t written = 0;
    event::IoResult r = transport_.WriteRaw(data, len, &written);
    if (r == event::IoResult::kError) return;
    if (written < len) out_.Append(data + written, len - written);
    return;
  }
  out_.Append(data, len);
}

void DownstreamConnection::ResponseComplete(bool upstream_reusable) {
  if (stream_->framing == ResponseFraming::kChunked) out_.Append("0\r\n\r\n", 5);
  DetachUpstream(upstream_reusable);
  FinishRequest();
}

void DownstreamConnection::DetachUpstream(bool reusable) {
  UpstreamRequest* up = Attached();
  if (up == nullptr) return;
  stream_->per_try_timer.Cancel();
  FinishedOnEndpoint();
  up->Release(reusable);
}

void DownstreamConnection::UpstreamFailed(uint32_t flag) {
  if (!Proxying()) return;
  ActiveStream& st = *stream_;
  st.route_timer.Cancel();
  if (st.response_started) return Abort(flag);
  DetachUpstream(false);
  if (!st.request_done) close_after_response_ = true;
  if (flag == kUpstreamRequestTimeout) {
    return LocalReply(504, flag, "upstream request timeout\n");
  }
  LocalReply(503, flag,
             "upstream connect error or disconnect/reset before headers. reset reason: "
             "connection termination\n");
}

DownstreamConnection::~DownstreamConnection() {
  w_->RemovePending(this);
}

void DownstreamConnection::LocalReply(int status, uint32_t flag, std::string_view body,
                                      std::string_view extra_headers) {
  ActiveStream& st = *stream_;
  st.pending_pool = false;  // a route timeout while waiting for the pool
  bool had_request = state_ == State::kActive;
  if (!had_request) {
    // A reply before the request was routed (bad input, timeout): count it as a request.
    w_->counters().requests_total++;
    w_->counters().requests_active++;
    st.table = w_->current_table();
    w_->Acquire(st.table);
  }
  state_ = State::kActive;
  st.phase = ActiveStream::Phase::kRespond;
  if (!st.request_done && had_request && codec_.head().has_body) close_after_response_ = true;
  if (!had_request) close_after_response_ = true;
  st.info.status = status;
  st.info.flags |= flag;
  st.info.bytes_sent = body.size();
  bool http10 = had_request && codec_.head().http_minor == 0;
  out_.Append(http10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  out_.AppendDecimal(static_cast<uint64_t>(status));
  out_.Append(" ", 1);
  out_.Append(http::ReasonPhrase(status));
  out_.Append("\r\ncontent-length: ");
  out_.AppendDecimal(body.size());
  out_.Append("\r\n", 2);
  // As Envoy's router does, its answers on a route (a direct response, a redirect, an upstream
  // failure) carry the route's response header changes; the fault filter's abort does not.
  router::HeaderLevels changes;
  if (st.route != nullptr && flag != kFaultInjected) {
    changes = ChangesOf(st.destination_headers, *st.route, true);
  }
  if (!body.empty() && !changes.Drops("content-type")) out_.Append("content-type: text/plain\r\n");
  // A redirect's Location gives way to a Location the route's response changes set, as Envoy
  // applies those after building the redirect.
  if (!(extra_headers.starts_with("location: ") && changes.Drops("location"))) {
    out_.Append(extra_headers);
  }
  if (!changes.empty()) AppendHeaderChanges(changes, out_, !st.cors_headers.empty());
  out_.Append(st.cors_headers);
  out_.Append(st.set_cookie);
  if (close_after_response_) {
    out_.Append("connection: close\r\n");
  } else if (http10) {
    out_.Append("connection: keep-alive\r\n");
  }
  out_.Append("\r\n", 2);
  if (!(had_request && codec_.head().method == HTTP_HEAD)) out_.Append(body);
  FinishRequest();
}

void DownstreamConnection::ReportRequestEnd() {
  ActiveStream& st = *stream_;
  st.route_timer.Cancel();
  st.fault_timer.Cancel();
  st.per_try_timer.Cancel();
  ReleaseRetryBudget();
  if (st.retries > 0 && st.info.status > 0 && st.info.status < 500) {
    w_->counters().retries_succeeded++;
  }
  st.phase = ActiveStream::Phase::kDone;
  st.info.end_nanos = w_->loop().now();
  if (w_->observer() != nullptr) w_->observer()->OnRequestDone(w_->index(), st.info);
  w_->counters().requests_active--;
  if (st.table != nullptr) {
    w_->Release(st.table);
    st.table = nullptr;
  }
}

void DownstreamConnection::FinishRequest() {
  ReportRequestEnd();
  DetachUpstream(false);
  if (close_after_response_ || draining_) {
    state_ = State::kClosing;
    Flush();
    return;
  }
  // Next request: drop this one's bytes, keep any pipelined ones.
  state_ = State::kIdle;
  if (codec_.NextRequest()) idle_timer_.Arm(w_->options().idle_timeout_nanos);
  Flush();
  need_drive_ = true;
}

void DownstreamConnection::Tunnel() {
  // Bytes both ways until either side closes (WebSocket after 101).
  ActiveStream& st = *stream_;
  UpstreamRequest* attempt = Attached();
  if (attempt == nullptr) return Close();
  UpstreamConnection& up = *attempt->connection();
  Transport& ut = up.transport();
  bool progress = true;
  while (progress && state_ == State::kActive) {
    progress = false;
    // The bytes after the upgrade request's head, then the client's stream, go through raw.
    http::Buffer& in = codec_.input();
    if (in.readable() > 0) {
      st.info.bytes_received += in.readable();
      up.out().Append(in.read_ptr(), in.readable());
      in.Consume(in.readable());
    }
    if (up.in().readable() > 0) {
      st.info.bytes_sent += up.in().readable();
      out_.Append(up.in().read_ptr(), up.in().readable());
      up.in().Consume(up.in().readable());
    }
    if (!up.out().empty() && ut.writable()) (void)ut.Write(up.out());
    Flush();
    if (state_ != State::kActive) return;
    size_t n = 0;
    if (transport_.readable() && out_.readable() < w_->options().high_watermark) {
      event::IoResult r = transport_.Read(in, kReadSize, &n);
      if (r == event::IoResult::kEof || r == event::IoResult::kError) return Abort(0);
      progress |= n > 0;
    }
    if (ut.readable() && up.out().readable() < w_->options().high_watermark) {
      event::IoResult r = ut.Read(up.in(), kReadSize, &n);
      if (r == event::IoResult::kEof || r == event::IoResult::kError) {
        Flush();
        return Abort(0);
      }
      progress |= n > 0;
    }
  }
}

// ------------------------------------------------------------------ the client side

void DownstreamConnection::Flush() {
  if (state_ == State::kClosed) return;
  if (!out_.empty() && transport_.writable()) {
    event::IoResult r = transport_.Write(out_);
    if (r == event::IoResult::kError) {
      if (state_ == State::kActive) return Abort(kDownstreamConnectionTermination);
      return Close();
    }
  }
  if (out_.empty()) {
    out_.ShrinkIfEmpty();
    if (state_ == State::kClosing) {
      transport_.ShutdownWrite();
      return Close();
    }
  }
  if (stream_ && stream_->upstream_paused && out_.readable() <= w_->options().high_watermark / 2) {
    stream_->upstream_paused = false;
    if (Attached() != nullptr && Proxying()) ReadResponse();
  }
}

void DownstreamConnection::Abort(uint32_t flag) {
  // The response cannot be completed: close both sides; the client sees the connection end.
  if (state_ == State::kActive) {
    stream_->info.flags |= flag;
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
  if (stream_) {
    DetachUpstream(false);
    stream_->route_timer.Cancel();
    stream_->fault_timer.Cancel();
    stream_->per_try_timer.Cancel();
    ReleaseRetryBudget();
    if (stream_->table != nullptr) {
      w_->Release(stream_->table);
      stream_->table = nullptr;
      w_->counters().requests_active--;
    }
  }
  state_ = State::kClosed;
  codec_.Stop();
  header_timer_.Cancel();
  idle_timer_.Cancel();
  w_->loop().Remove(transport_.fd());
  transport_.Close();
  Worker* w = w_;
  w->loop().Defer([w, self = this] { w->ConnectionClosed(self); });
}

}  // namespace canaryd::proxy

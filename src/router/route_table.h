// RouteTable: everything a proxy worker needs to route a request, compiled from the resources
// (see compiler.h) and then immutable. Workers hold it through shared_ptr<const RouteTable>; a
// new table replaces the old one between requests, and in-flight requests keep the old one
// alive. Lookups are const and allocation-free: any thread, no locks.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "event/socket.h"
#include "router/cors_policy.h"
#include "router/hash_key.h"
#include "router/hash_ring.h"
#include "router/header_ops.h"
#include "router/request_view.h"
#include "router/rewrite.h"
#include "router/string_matcher.h"

namespace canaryd::router {

struct HeaderMatcher {
  std::string name;  // lower case
  StringMatcher matcher;
};

// One HTTPMatchRequest: every condition must hold.
struct MatchBlock {
  bool has_uri = false, has_scheme = false, has_method = false, has_authority = false;
  StringMatcher uri, scheme, method, authority;
  std::vector<HeaderMatcher> headers;
  std::vector<HeaderMatcher> without_headers;
  std::vector<HeaderMatcher> query_params;
  uint32_t port = 0;                  // 0 = any
  std::vector<std::string> gateways;  // "ns/name"; empty = any

  bool Matches(const RequestView& r, std::string_view gateway) const;
};

enum class LbPolicy { kLeastRequest, kRoundRobin, kRandom };

struct Endpoint {
  event::SocketAddress address;
  std::string address_text;  // "10.0.0.1:8080", for logs and metrics
  std::string version;       // the endpoint's `version` label, or the subset name
  std::string workload;      // WorkloadEntry name (or the ServiceEntry host for inline ones)
  std::string workload_namespace;
  std::string app;                 // the `app` label, for Istio's destination_app
  std::string canonical_service;   // service.istio.io/canonical-name, else app, else workload
  std::string canonical_revision;  // service.istio.io/canonical-revision, else version, else latest
  uint32_t weight = 1;
};

// DestinationRule outlierDetection, as Envoy's outlier detector: an endpoint whose responses are
// `consecutive_5xx` 5xx (or `consecutive_gateway` 502/503/504) in a row is ejected from the
// picks for base_ejection x (its ejections) (at most 300 s or base_ejection, whichever is
// more), unless max_ejection_percent of the endpoints are out already (at least one may be);
// a connection failure, reset or timeout counts as a 503 unless split_local_origin, when
// `consecutive_local` of them eject. The count of ejections decays by one per `interval` the
// endpoint stays in. Below min_health_percent of the endpoints in, ejections are ignored
// (Envoy's panic threshold).
struct OutlierPolicy {
  bool enabled = false;
  uint32_t consecutive_5xx = 5;  // 0: off
  uint32_t consecutive_gateway = 0;
  bool split_local_origin = false;
  uint32_t consecutive_local = 5;
  int64_t interval_nanos = 10'000'000'000;
  int64_t base_ejection_nanos = 30'000'000'000;
  uint32_t max_ejection_percent = 10;
  uint32_t min_health_percent = 0;
};

// DestinationRule connectionPool (circuit breaking), as Istio sets Envoy's thresholds (a value of
// 0 is unset): over HTTP/1.1 each request in flight holds a connection, so tcp.maxConnections
// and http.http2MaxRequests both bound the requests in flight to the cluster; a request over
// the bound waits for one to finish unless http1MaxPendingRequests wait already, when it is
// answered 503 UO. maxRequestsPerConnection closes a connection after that many requests;
// maxRetries bounds the retries in flight. Per worker (Envoy's are per cluster).
struct PoolLimits {
  static constexpr uint32_t kUnlimited = UINT32_MAX;
  uint32_t max_requests = kUnlimited;
  uint32_t max_pending = kUnlimited;
  uint32_t max_requests_per_connection = 0;  // 0: no limit
  uint32_t max_retries = kUnlimited;
  bool limits_requests() const { return max_requests != kUnlimited; }
};

// A destination service (+ port + subset) and its endpoints.
struct Cluster {
  uint32_t id = 0;
  std::string name;  // Envoy-style: outbound|80|v1|web.default.svc.cluster.local
  std::string service_fqdn;
  std::string service_name;
  std::string service_namespace;
  std::string subset;
  uint32_t port = 0;
  // The destination cannot be resolved (no such service, or no such subset): requests get
  // 503 with response flag NC. `problem` says why, for logs.
  bool missing = false;
  std::string problem;
  std::vector<Endpoint> endpoints;
  LbPolicy lb = LbPolicy::kLeastRequest;
  int64_t connect_timeout_nanos = 10'000'000'000;
  // DestinationRule consistentHash: what a request is hashed on, and the endpoints' ring (or
  // Maglev table), rebuilt with the endpoints. A request with nothing to hash on gets `lb`.
  HashKey hash_key;
  EndpointHash::Kind hash_kind = EndpointHash::Kind::kRing;
  uint64_t hash_size = 0;  // ringHash.minimumRingSize or maglev.tableSize; 0: Envoy's default
  std::shared_ptr<const EndpointHash> endpoint_hash;
  OutlierPolicy outlier;
  PoolLimits pool;
};

struct WeightedCluster {
  uint32_t cluster = 0;
  uint32_t weight = 0;
  std::shared_ptr<const HeaderChanges> headers;  // the destination's `headers`; null for none
};

// When a failed attempt is tried again, and how often: Envoy's retry policy as Istio configures
// it, part of the route so the request path only reads it (compiled in retry_policy.cc). Without
// a VirtualService `retries`, Istio's default: 2 retries on connect-failure, refused-stream,
// unavailable, cancelled and retriable-status-codes (with no codes listed), of which only
// connect-failure can happen over HTTP/1.1 to plain backends.
struct RetryPolicy {
  enum On : uint32_t {
    kConnectFailure = 1u << 0,  // no connection to the endpoint (refused, timed out)
    kRefusedStream = 1u << 1,   // HTTP/2's REFUSED_STREAM: never over HTTP/1.1
    kUnavailable = 1u << 2,     // gRPC statuses: never for plain HTTP
    kCancelled = 1u << 3,
    kRetriableStatusCodes = 1u << 4,  // a status in `status_codes`
    k5xx = 1u << 5,                   // any 5xx, a reset, a connect failure, a per-try timeout
    kGatewayError = 1u << 6,          // 502, 503, 504, a reset, a connect failure, a timeout
    kReset = 1u << 7,                 // the upstream closed or reset before the response head
    kResetBeforeRequest = 1u << 8,    // ... before any byte of the request reached it
    kRetriable4xx = 1u << 9,          // 409
  };
  static constexpr uint32_t kIstioDefault =
      kConnectFailure | kRefusedStream | kUnavailable | kCancelled | kRetriableStatusCodes;

  uint32_t num_retries = 2;
  uint32_t retry_on = kIstioDefault;
  std::vector<uint32_t> status_codes;  // for kRetriableStatusCodes
  int64_t per_try_timeout_nanos = 0;   // 0: each attempt has the route's timeout only
  // x-envoy-attempt-count to the upstream: on routes with a VirtualService `retries` only, so
  // that Istio's default (no header) is kept where no retry policy was asked for.
  bool send_attempt_count = false;

  bool RetriesOn(uint32_t condition) const { return (retry_on & condition) != 0; }
  // Whether a response with `status` is retried (Envoy's wouldRetryFromHeaders).
  bool RetriesStatus(uint32_t status) const {
    if (RetriesOn(k5xx) && status >= 500 && status < 600) return true;
    if (RetriesOn(kGatewayError) && status >= 502 && status <= 504) return true;
    if (RetriesOn(kRetriable4xx) && status == 409) return true;
    if (RetriesOn(kRetriableStatusCodes)) {
      for (uint32_t c : status_codes) {
        if (c == status) return true;
      }
    }
    return false;
  }
  // Whether a connection lost before the response head is retried; `request_sent`: some of the
  // request reached the upstream.
  bool RetriesReset(bool request_sent) const {
    return RetriesOn(k5xx | kGatewayError | kReset) ||
           (!request_sent && RetriesOn(kResetBeforeRequest));
  }
  bool RetriesConnectFailure() const {
    return RetriesOn(kConnectFailure | k5xx | kGatewayError | kResetBeforeRequest);
  }
  // A per-try timeout counts as a 504 from the upstream, as in Envoy.
  bool RetriesPerTryTimeout() const { return RetriesStatus(504); }
};

// The VirtualService's `fault`, as Envoy's fault filter applies it before routing: a share of the
// requests is held for `delay_nanos` (response flag DI), a share is answered `abort_status` at
// once (FI). Shares are in millionths, Envoy's FractionalPercent; each is drawn on its own.
struct FaultPolicy {
  static constexpr uint32_t kMillion = 1'000'000;
  int64_t delay_nanos = 0;
  uint32_t delay_per_million = 0;
  uint32_t abort_status = 0;  // 0: no abort
  uint32_t abort_per_million = 0;

  bool delays() const { return delay_nanos > 0 && delay_per_million > 0; }
  bool aborts() const { return abort_status != 0 && abort_per_million > 0; }
};

// A VirtualService's `mirror` (with mirrorPercentage) or one of its `mirrors`: a share of the
// requests, in millionths, is copied to `cluster` (fire-and-forget, Host + "-shadow").
struct MirrorPolicy {
  uint32_t cluster = 0;
  uint32_t per_million = 1'000'000;
};

struct Route {
  enum class Action { kForward, kRedirect, kDirectResponse };

  uint32_t id = 0;                  // RouteTable::route(id); indexes per-worker state
  std::string name;                 // "<vs namespace>/<vs name>#<rule index or name>"
  std::string virtual_service;      // "ns/name"
  std::vector<MatchBlock> matches;  // any one must match; empty = match everything
  Action action = Action::kForward;
  std::vector<WeightedCluster> clusters;  // kForward; weights relative, zero weights dropped
  uint64_t total_weight = 0;
  int64_t timeout_nanos = 0;  // 0 = no route timeout
  RetryPolicy retry;
  FaultPolicy fault;
  RewritePolicy rewrite;
  HeaderChanges headers;  // the rule's `headers`
  CorsPolicy cors;
  // The sticky canary (canaryd.io/sticky-canary): a user whose key hashes into bucket b goes to
  // the last destination when b < its share of the 10000 buckets, to the one before it when b is
  // in the next share, and so on; so as the last destination's weight grows, its set of users
  // only grows. Users without a key (no header) get the weighted round-robin pick.
  HashKey sticky;
  std::vector<MirrorPolicy> mirrors;  // kForward
  // kRedirect
  std::string redirect_uri, redirect_authority, redirect_scheme;
  uint32_t redirect_port = 0;
  uint32_t redirect_code = 301;
  // kDirectResponse
  uint32_t direct_status = 0;
  std::string direct_body;

  bool Matches(const RequestView& r, std::string_view gateway) const;
  // The index into `clusters` of the sticky canary's pick for `bucket` (in [0, kStickyBuckets)).
  size_t StickyPick(uint32_t bucket) const;
  // The first match block that holds, or null (also when the rule has none).
  const MatchBlock* MatchingBlock(const RequestView& r, std::string_view gateway) const;
};

struct VirtualHost {
  uint32_t port = 0;             // the Gateway port
  std::string domain;            // "*", "*.example.com" or a name
  std::string gateway;           // "ns/name" of the Gateway it was bound through
  std::vector<uint32_t> routes;  // route ids, in evaluation order
};

// Lets unordered_map<std::string, ...> be searched with a string_view, without a copy.
struct TransparentStringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// The HTTP routes of one Gateway port.
struct PortRoutes {
  uint32_t port = 0;  // the Gateway's port number
  std::unordered_map<std::string, uint32_t, TransparentStringHash, std::equal_to<>>
      exact;                                                // host -> vhost index
  std::vector<std::pair<std::string, uint32_t>> wildcards;  // ".suffix" -> index, longest first
  int64_t catch_all = -1;                                   // vhost index for "*", or -1
};

class RouteTable {
 public:
  // The vhost for a Host header on a port, as Envoy picks it: the port is dropped, then exact
  // name, longest `*.suffix`, `*`. Null when none.
  const VirtualHost* FindVirtualHost(uint32_t port, std::string_view host) const;
  // The first route of the vhost that matches, or null (404 NR).
  const Route* Match(const VirtualHost& vhost, const RequestView& request) const;

  const Route& route(uint32_t id) const { return *routes_[id]; }
  size_t route_count() const { return routes_.size(); }
  const std::vector<Cluster>& clusters() const { return *clusters_; }
  const std::vector<PortRoutes>& ports() const { return *ports_; }
  const std::vector<VirtualHost>& virtual_hosts() const { return *vhosts_; }
  uint64_t generation() const { return generation_; }

 private:
  friend class TableBuilder;
  // Shared, immutable pieces: a table patched for a changed VirtualService shares everything
  // but that VirtualService's routes with the table it was patched from.
  std::shared_ptr<const std::vector<PortRoutes>> ports_;
  std::shared_ptr<const std::vector<VirtualHost>> vhosts_;
  std::vector<std::shared_ptr<const Route>> routes_;
  std::shared_ptr<const std::vector<Cluster>> clusters_;
  uint64_t generation_ = 0;
};

}  // namespace canaryd::router

// Typed structs for canaryd.io/v1alpha1 Canary: a progressive release of one route of a
// VirtualService from a stable destination to a canary destination, analysed while the weight
// steps. Field names and meaning follow Flagger's Canary where Flagger has the field. The API
// fills every default in (api/kind_rules.cc) so that `kubectl get canary -o yaml` shows what the
// controller uses; the controller reads the same defaults through the Effective* helpers of
// rollout/canary_spec.h. Plain data, see reflect.h.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/istio_common_types.h"
#include "config/reflect.h"

namespace canaryd::config {

// The defaults the API writes into a Canary (and the controller assumes where a stored one lacks
// a field).
namespace canary_defaults {
inline constexpr int64_t kIntervalNanos = 60'000'000'000;  // 1m
inline constexpr int64_t kThreshold = 5;
inline constexpr int64_t kStepWeight = 10;
inline constexpr int64_t kMaxWeight = 50;
inline constexpr int64_t kStepWeightPromotion = 100;
inline constexpr int64_t kIterations = 1;
inline constexpr int64_t kMinRequests = 10;
inline constexpr int64_t kProviderErrorLimit = 4;
inline constexpr int64_t kProgressDeadlineSeconds = 600;
inline constexpr double kAlpha = 0.01;
inline constexpr double kQuantile = 0.99;
inline constexpr double kSuccessRateMin = 99;
inline constexpr double kDurationMaxMs = 500;
inline constexpr int64_t kWebhookTimeoutNanos = 10'000'000'000;  // 10s
}  // namespace canary_defaults

inline constexpr std::string_view kSuccessRateMetric = "request-success-rate";
inline constexpr std::string_view kDurationMetric = "request-duration";
// The placeholders a custom metric's query may use.
inline constexpr std::string_view kCanaryQueryPlaceholders[] = {"interval", "namespace", "canary",
                                                                "stable"};

struct CanaryThresholdRange {
  std::optional<double> min;
  std::optional<double> max;
};
template <class V>
void Describe(V& v, CanaryThresholdRange& t) {
  v("min", t.min, {.doc = "The check fails when the value is below this bound."});
  v("max", t.max, {.doc = "The check fails when the value is above this bound."});
}

// Bounds on the canary's value relative to the stable destination's over the same window.
struct CanaryRelativeBound {
  std::optional<double> min_difference;
  std::optional<double> max_difference;
  std::optional<double> min_ratio;
  std::optional<double> max_ratio;
};
template <class V>
void Describe(V& v, CanaryRelativeBound& t) {
  v("minDifference", t.min_difference,
    {.doc = "The check fails when canary - stable is below this (for a success rate, -1 means "
            "at most 1 point below the stable's)."});
  v("maxDifference", t.max_difference,
    {.doc = "The check fails when canary - stable is above this."});
  v("minRatio", t.min_ratio, {.doc = "The check fails when canary / stable is below this."});
  v("maxRatio", t.max_ratio,
    {.doc = "The check fails when canary / stable is above this (for request-duration, 1.2 "
            "means a p99 at most 1.2 times the stable's)."});
}

inline constexpr std::string_view kCanaryProviderTypes[] = {"prometheus"};
struct CanaryMetricProvider {
  std::string type;
  std::string address;
};
template <class V>
void Describe(V& v, CanaryMetricProvider& t) {
  v("type", t.type,
    {.doc = "The metrics provider: prometheus (an instant query against its HTTP API).",
     .required = true,
     .enum_values = kCanaryProviderTypes});
  v("address", t.address,
    {.doc = "The provider's base URL, such as http://127.0.0.1:9090.", .required = true});
}

struct CanaryMetric {
  std::string name;
  std::optional<Duration> interval;
  std::optional<CanaryThresholdRange> threshold_range;
  std::optional<CanaryRelativeBound> relative_to_stable;
  std::optional<double> quantile;
  std::optional<bool> critical;
  std::optional<CanaryMetricProvider> provider;
  std::optional<std::string> query;
};
template <class V>
void Describe(V& v, CanaryMetric& t) {
  v("name", t.name,
    {.doc = "request-success-rate (percent of responses below 500) or request-duration (a "
            "latency quantile in milliseconds), computed from the gateway's own statistics of "
            "each destination; or any name for a custom metric with a provider and a query.",
     .required = true});
  v("interval", t.interval,
    {.doc = "The window the metric is computed over, ending at the check; defaults to "
            "analysis.interval (at most 10m for the built-in metrics)."});
  v("thresholdRange", t.threshold_range,
    {.doc = "The bounds the canary's value must stay within for the check to pass."});
  v("relativeToStable", t.relative_to_stable,
    {.doc = "Bounds on the canary's value relative to the stable destination's over the same "
            "window (built-in metrics only), so that the stable version's own bad hour does not "
            "fail the canary."});
  v("quantile", t.quantile,
    {.doc = "For request-duration: the latency quantile, 0 < q < 1 (default 0.99)."});
  v("critical", t.critical,
    {.doc = "When true, one failed check rolls the canary back at once (default false)."});
  v("provider", t.provider, {.doc = "Where a custom metric comes from."});
  v("query", t.query,
    {.doc = "For a custom metric: a PromQL query whose result is one number, with the "
            "placeholders {{ interval }}, {{ namespace }}, {{ canary }} and {{ stable }} (the "
            "destinations' hosts)."});
}

inline constexpr std::string_view kCanaryWebhookTypes[] = {
    "confirm-rollout",   "pre-rollout",  "rollout",  "confirm-traffic-increase",
    "confirm-promotion", "post-rollout", "rollback", "event"};
struct CanaryWebhook {
  std::string name;
  std::optional<std::string> type;
  std::string url;
  std::optional<Duration> timeout;
  std::map<std::string, std::string> metadata;
};
template <class V>
void Describe(V& v, CanaryWebhook& t) {
  v("name", t.name, {.doc = "The webhook's name, for events and status.", .required = true});
  v("type", t.type,
    {.doc = "When it is called, with Flagger's meaning: confirm-rollout (a gate before the "
            "first step), pre-rollout (before the first step; a failure is a failed check), "
            "rollout (each interval, as a check), confirm-traffic-increase (a gate before each "
            "step), confirm-promotion (a gate before promoting), post-rollout (after success or "
            "rollback), rollback (each interval: an answer in 2xx rolls back), event (every "
            "event). Default rollout.",
     .enum_values = kCanaryWebhookTypes});
  v("url", t.url,
    {.doc = "Where the JSON payload {name, namespace, phase, checksum, metadata} is POSTed; any "
            "2xx answer is success.",
     .required = true});
  v("timeout", t.timeout, {.doc = "How long to wait for the answer (default 10s)."});
  v("metadata", t.metadata, {.doc = "Key-value pairs sent in the payload's metadata."});
}

struct CanarySequential {
  std::optional<bool> enabled;
  std::optional<double> alpha;
};
template <class V>
void Describe(V& v, CanarySequential& t) {
  v("enabled", t.enabled,
    {.doc = "Whether the continuous sequential tests run (default true): every second, whether "
            "the canary's 5xx rate (and, with a request-duration metric, its rate of responses "
            "slower than that metric's max) is higher than the stable's."});
  v("alpha", t.alpha,
    {.doc = "The tests' false-rollback probability bound, however long they watch (default "
            "0.01; split evenly between the tests)."});
}

// canaryd's sticky canary (see config/sticky_canary.h), in Flagger's field names where it has
// them: a user keeps their side while the weight grows.
struct CanarySessionAffinity {
  std::optional<std::string> cookie_name;
  std::optional<int64_t> max_age;
  std::optional<std::string> header_name;
};
template <class V>
void Describe(V& v, CanarySessionAffinity& t) {
  v("cookieName", t.cookie_name,
    {.doc = "The cookie that names a user; canaryd sets it on a user's first response. A user "
            "whose name hashes into bucket b of 10000 is on the canary while b < weight x 100, "
            "so the canary's users only grow as the weight grows, and a rollback returns all."});
  v("maxAge", t.max_age,
    {.doc = "The cookie's lifetime in seconds (default 86400; 0: a session cookie)."});
  v("headerName", t.header_name,
    {.doc = "Instead of a cookie, a request header that carries a user id (users without it get "
            "the weighted pick)."});
}

struct CanaryAnalysis {
  std::optional<Duration> interval;
  std::optional<int64_t> threshold;
  std::optional<int64_t> step_weight;
  std::optional<int64_t> max_weight;
  std::vector<int64_t> step_weights;
  std::optional<int64_t> step_weight_promotion;
  std::optional<int64_t> iterations;
  std::optional<int64_t> min_requests;
  std::optional<int64_t> provider_error_limit;
  std::optional<CanarySequential> sequential;
  std::optional<CanarySessionAffinity> session_affinity;
  std::optional<std::vector<CanaryMetric>> metrics;
  std::vector<CanaryWebhook> webhooks;
};
template <class V>
void Describe(V& v, CanaryAnalysis& t) {
  v("interval", t.interval,
    {.doc = "How often the checks run and the weight may step (default 1m)."});
  v("threshold", t.threshold,
    {.doc = "Failed checks (counted over the whole rollout, as Flagger counts them) before the "
            "canary is rolled back (default 5)."});
  v("stepWeight", t.step_weight,
    {.doc = "The canary weight added at each step, up to maxWeight (default 10 when "
            "stepWeights is not set)."});
  v("maxWeight", t.max_weight, {.doc = "The last canary weight before promotion (default 50)."});
  v("stepWeights", t.step_weights,
    {.doc = "The canary weights of the steps, ascending, such as [1, 5, 10, 25, 50]; replaces "
            "stepWeight and maxWeight."});
  v("stepWeightPromotion", t.step_weight_promotion,
    {.doc = "The canary weight added per interval while promoting, until 100 (default 100: "
            "one step)."});
  v("iterations", t.iterations,
    {.doc = "Passing intervals required at the last weight before promotion (default 1)."});
  v("minRequests", t.min_requests,
    {.doc = "Canary requests an interval needs before its checks count (default 10); when it "
            "has fewer, the requests since the step began count too (up to 10m), and with fewer "
            "still the rollout holds, neither passing nor failing, until "
            "progressDeadlineSeconds."});
  v("providerErrorLimit", t.provider_error_limit,
    {.doc = "Consecutive errors of a metric provider or webhook (unreachable, timed out) that "
            "count as one failed check (default 4); fewer hold the rollout."});
  v("sequential", t.sequential, {.doc = "The continuous, anytime-valid sequential tests."});
  v("sessionAffinity", t.session_affinity,
    {.doc = "Sticky canary: each user stays on one side as the weight grows (the controller sets "
            "the canaryd.io/sticky-canary annotation on the VirtualService and puts the canary "
            "after the stable in the route)."});
  v("metrics", t.metrics,
    {.doc = "The checks of each interval. When unset: request-success-rate min 99 and "
            "request-duration max 500 (ms); an empty list checks none."});
  v("webhooks", t.webhooks, {.doc = "Gates, checks and notifications, as Flagger's webhooks."});
}

// Flagger's model: the Deployment whose pod template is released (spec.targetRef).
struct CanaryTargetRef {
  std::string api_version;
  std::string kind;
  std::string name;
};
template <class V>
void Describe(V& v, CanaryTargetRef& t) {
  v("apiVersion", t.api_version, {.doc = "apps/v1.", .required = true});
  v("kind", t.kind, {.doc = "Deployment.", .required = true});
  v("name", t.name,
    {.doc = "The Deployment (in the Canary's namespace) whose pod template is released.",
     .required = true});
}

// With targetRef: the Services and VirtualService canaryd makes for the target.
struct CanaryService {
  std::optional<std::string> name;
  int64_t port = 0;
  std::optional<IntOrString> target_port;
  std::optional<std::string> port_name;
  std::vector<std::string> gateways;
  std::vector<std::string> hosts;
};
template <class V>
void Describe(V& v, CanaryService& t) {
  v("name", t.name,
    {.doc = "The name of the Service that routes to the primary (default: the target's "
            "name); <name>-primary and <name>-canary are made beside it."});
  v("port", t.port, {.doc = "The Services' port.", .required = true});
  v("targetPort", t.target_port,
    {.doc = "The containers' port, a number or a name (default: port)."});
  v("portName", t.port_name, {.doc = "The Services' port name (default http)."});
  v("gateways", t.gateways,
    {.doc = "The Gateways of the VirtualService canaryd makes (when spec.virtualService is not "
            "set); default none: the mesh."});
  v("hosts", t.hosts, {.doc = "The hosts of that VirtualService, beside the Service's own name."});
}

struct CanarySpec {
  std::optional<CanaryTargetRef> target_ref;
  std::optional<CanaryService> service;
  std::string virtual_service;
  std::optional<std::string> route;
  std::optional<Destination> stable;
  std::optional<Destination> canary;
  std::optional<std::string> revision;
  std::optional<bool> suspend;
  std::optional<bool> skip_analysis;
  std::optional<int64_t> progress_deadline_seconds;
  CanaryAnalysis analysis;
};
template <class V>
void Describe(V& v, CanarySpec& t) {
  v("targetRef", t.target_ref,
    {.doc = "Flagger's model: the Deployment being released, instead of stable and canary. "
            "canaryd makes <name>-primary (a Deployment of the last promoted template), the "
            "Services <name>, <name>-primary and <name>-canary, and a VirtualService <name> "
            "(unless virtualService is set); a change of the target's pod template starts an "
            "analysis with the target's Pods as the canary; promotion copies the template to "
            "the primary, and the target is scaled to zero when the release ends."});
  v("service", t.service,
    {.doc = "With targetRef: the port of the Services canaryd makes, and the VirtualService's "
            "hosts and gateways."});
  v("virtualService", t.virtual_service,
    {.doc = "The name of the VirtualService (in the Canary's namespace) whose weights are "
            "shifted. Required with stable and canary; with targetRef, a VirtualService of "
            "yours that routes to <name>-primary (default: the one canaryd makes)."});
  v("route", t.route,
    {.doc = "The name of the http route to shift; by default the one route that routes to the "
            "stable destination."});
  v("stable", t.stable,
    {.doc = "The destination that serves now (host, optional subset and port, as in a route). "
            "Required unless targetRef is set."});
  v("canary", t.canary,
    {.doc = "The destination being released. It is added to the route at weight 0 when absent. "
            "Changing it (or revision) starts a new analysis. Required unless targetRef is "
            "set."});
  v("revision", t.revision,
    {.doc = "Any text, such as a version; changing it starts a new analysis (Flagger's \"new "
            "revision detected\")."});
  v("suspend", t.suspend,
    {.doc = "When true, the controller takes no step and runs no check (pause); false resumes."});
  v("skipAnalysis", t.skip_analysis, {.doc = "When true, the canary is promoted without checks."});
  v("progressDeadlineSeconds", t.progress_deadline_seconds,
    {.doc = "How long the rollout may hold without progress (too few requests, provider "
            "errors, a canary that does not become ready) before it fails (default 600)."});
  v("analysis", t.analysis, {.doc = "How the canary is stepped and checked."});
}

}  // namespace canaryd::config

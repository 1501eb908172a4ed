#include "router/compiler.h"

#include <netdb.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "common/ascii.h"
#include "config/hosts.h"
#include "config/pod_endpoint.h"
#include "config/retry_on.h"
#include "config/sticky_canary.h"

namespace canaryd::router {
namespace {

using config::Resource;

bool LabelsContain(const std::map<std::string, std::string>& labels,
                   const std::map<std::string, std::string>& wanted) {
  for (const auto& [k, v] : wanted) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

// One HTTP server of an applicable Gateway.
struct ServerBinding {
  std::string gateway;  // "ns/name"
  std::string gateway_namespace;
  uint32_t port = 0;
  std::string host_namespace;  // "*" = any namespace
  std::string host;            // "*", "*.example.com", "example.com"
};

struct DestinationKey {
  std::string fqdn;
  uint32_t port;
  std::string subset;
  auto operator<=>(const DestinationKey&) const = default;
};

}  // namespace

// Builds one RouteTable (a friend of it). Internal to the compiler.
class TableBuilder {
 public:
  explicit TableBuilder(CompileOptions options) : options_(std::move(options)) {}

  // A full compile. `resources` must stay alive (and unchanged, but for the VirtualServices
  // given to Patch) for as long as this builder is used for patches.
  Result<CompileResult> Run(const std::vector<const Resource*>& resources) {
    Index(resources);
    BindGateways();
    routes_.reserve(virtual_services_.size() * 2);
    for (const Resource* vs : virtual_services_) {
      AddVirtualService(*vs);
      ++vs_ordinal_;
    }
    Finish();
    if (!error_.empty()) return InvalidArgument(error_);
    auto table = std::make_shared<RouteTable>();
    table->generation_ = options_.generation;
    table->ports_ = std::make_shared<const std::vector<PortRoutes>>(std::move(port_routes_));
    table->vhosts_ = std::make_shared<const std::vector<VirtualHost>>(std::move(vhosts_));
    table->clusters_ = std::make_shared<const std::vector<Cluster>>(std::move(clusters_));
    table->routes_.reserve(routes_.size());
    for (Route& r : routes_) table->routes_.push_back(std::make_shared<const Route>(std::move(r)));
    routes_.clear();
    table_ = table;
    ports_list_.assign(ports_.begin(), ports_.end());
    CompileResult out;
    out.table = table;
    out.ports = ports_list_;
    out.warnings = Warnings();
    return out;
  }

  // The table for the last one with `changed` (VirtualServices) recompiled, sharing everything
  // else. Nothing when a change reaches beyond the VirtualService's own rules (its hosts or
  // gateways, the number of its rules or which of them match everything, a destination no
  // existing cluster serves, a delegate, a rule that fails to compile): then the caller
  // compiles in full.
  std::optional<CompileResult> Patch(const std::vector<const Resource*>& changed,
                                     uint64_t generation) {
    if (!table_) return std::nullopt;
    std::vector<std::pair<uint32_t, std::shared_ptr<const Route>>> replaced;
    std::vector<std::pair<std::string, VsShape>> shapes;
    for (const Resource* r : changed) {
      if (r->kind != config::Kind::kVirtualService) return std::nullopt;
      const auto& vs = r->As<config::VirtualServiceSpec>();
      std::string key = r->ns() + "/" + r->name();
      auto it = shapes_.find(key);
      if (it == shapes_.end()) return std::nullopt;
      const VsShape& old = it->second;
      if (vs.hosts != old.hosts || vs.gateways != old.gateways) return std::nullopt;
      VsShape shape = old;
      if (old.compiled) {
        patching_ = true;
        std::vector<Route> compiled = CompileRoutes(*r, vs, &shape.has_delegate);
        patching_ = false;
        if (!error_.empty() || patch_failed_ || shape.has_delegate ||
            compiled.size() != old.route_ids.size()) {
          error_.clear();
          patch_failed_ = false;
          return std::nullopt;
        }
        for (size_t i = 0; i < compiled.size(); ++i) {
          if (compiled[i].matches.empty() != old.catch_all[i]) return std::nullopt;
          compiled[i].id = old.route_ids[i];
          replaced.emplace_back(old.route_ids[i],
                                std::make_shared<const Route>(std::move(compiled[i])));
        }
      }
      shapes.emplace_back(std::move(key), std::move(shape));
    }
    auto table = std::make_shared<RouteTable>(*table_);
    table->generation_ = generation;
    for (auto& [id, route] : replaced) table->routes_[id] = std::move(route);
    for (auto& [key, shape] : shapes) shapes_[key] = std::move(shape);
    for (const Resource* r : changed) RecordNotServed(*r);
    table_ = table;
    CompileResult out;
    out.table = table;
    out.ports = ports_list_;
    out.warnings = Warnings();
    return out;
  }

  // The table for the last one with the Pods in `changed` updated (nullptr: deleted; the key
  // is namespace and name), sharing everything but the clusters: those of Services that select
  // a changed Pod, before or after the change, get their endpoints again. The clusters' list is
  // copied, never the routes. Nothing when there is no table to patch.
  std::optional<CompileResult> PatchPods(
      const std::vector<std::pair<std::pair<std::string, std::string>, const Resource*>>& changed,
      uint64_t generation) {
    if (!table_) return std::nullopt;
    std::vector<std::map<std::string, std::string>> labels;
    std::set<std::string> namespaces;
    for (const auto& [key, pod] : changed) {
      namespaces.insert(key.first);
      // The labels as compiled: the Pod itself may already be gone or changed.
      if (auto it = pod_labels_.find(key); it != pod_labels_.end()) labels.push_back(it->second);
      if (pod != nullptr) {
        labels.push_back(pod->metadata.labels);
        pods_[key] = pod;
        pod_labels_[key] = pod->metadata.labels;
      } else {
        pods_.erase(key);
        pod_labels_.erase(key);
      }
    }
    auto clusters = std::make_shared<std::vector<Cluster>>(*table_->clusters_);
    for (auto& [id, recipe] : recipes_) {
      const Resource& svc = *recipe.service;
      if (!namespaces.count(svc.ns())) continue;
      const auto& selector = svc.As<config::ServiceSpec>().selector;
      bool affected = false;
      for (const auto& l : labels) affected |= !selector.empty() && LabelsContain(l, selector);
      if (!affected) continue;
      Cluster& c = (*clusters)[id];
      c.endpoints.clear();
      ServiceEndpoints(svc, recipe.port, recipe.subset_labels, &c);
      BuildEndpointHash(&c);
    }
    auto table = std::make_shared<RouteTable>(*table_);
    table->generation_ = generation;
    table->clusters_ = std::move(clusters);
    table_ = table;
    CompileResult out;
    out.table = table;
    out.ports = ports_list_;
    out.warnings = Warnings();
    return out;
  }

 private:
  // The fields a resource sets that canaryd does not serve (found by the decoder), one warning
  // each; kept per resource so that a patch replaces a VirtualService's.
  void RecordNotServed(const Resource& r) {
    std::string key = std::string(r.info().singular) + " " + r.ns() + "/" + r.name();
    auto [it, inserted] = not_served_.try_emplace(key);
    if (inserted) not_served_order_.push_back(key);
    it->second.clear();
    for (const config::Diagnostic& d : r.not_served) {
      it->second.push_back(key + ": " + d.path + ": " + d.message);
    }
  }

  // What the operator should know: fields not served, then the compile's own findings.
  std::vector<std::string> Warnings() const {
    std::vector<std::string> out;
    for (const std::string& key : not_served_order_) {
      const std::vector<std::string>& notes = not_served_.at(key);
      out.insert(out.end(), notes.begin(), notes.end());
    }
    out.insert(out.end(), warnings_.begin(), warnings_.end());
    return out;
  }

  void Index(const std::vector<const Resource*>& resources) {
    for (const Resource* rp : resources) {
      const Resource& r = *rp;
      if (!r.not_served.empty()) RecordNotServed(r);
      switch (r.kind) {
        case config::Kind::kService:
          services_[config::ServiceFqdn(r.name(), r.ns())] = &r;
          break;
        case config::Kind::kServiceEntry:
          for (const std::string& h : r.As<config::ServiceEntrySpec>().hosts) {
            (h.rfind("*.", 0) == 0 ? wildcard_entries_ : service_entries_)
                .emplace_back(AsciiLower(h), &r);
          }
          break;
        case config::Kind::kWorkloadEntry:
          workloads_.push_back(&r);
          break;
        case config::Kind::kPod:
          pods_[{r.ns(), r.name()}] = &r;
          pod_labels_[{r.ns(), r.name()}] = r.metadata.labels;
          break;
        case config::Kind::kEndpoints:
          endpoints_[{r.ns(), r.name()}] = &r;
          break;
        case config::Kind::kDestinationRule:
          destination_rules_.push_back(&r);
          break;
        case config::Kind::kGateway:
          gateways_.push_back(&r);
          break;
        case config::Kind::kVirtualService:
          virtual_services_.push_back(&r);
          break;
        case config::Kind::kNamespace:
        case config::Kind::kConfigMap:
        case config::Kind::kSecret:
        case config::Kind::kEvent:
        case config::Kind::kEventsEvent:
        case config::Kind::kCanary:
        case config::Kind::kFlaggerCanary:
        case config::Kind::kReplicationController:
        case config::Kind::kPersistentVolumeClaim:
        case config::Kind::kPersistentVolume:
        case config::Kind::kDeployment:
        case config::Kind::kReplicaSet:
        case config::Kind::kStatefulSet:
        case config::Kind::kDaemonSet:
        case config::Kind::kJob:
        case config::Kind::kCronJob:
        case config::Kind::kIngress:
        case config::Kind::kSelfSubjectAccessReview:
        case config::Kind::kSelfSubjectRulesReview:
          break;  // not routing configuration
      }
    }
  }

  void BindGateways() {
    for (const Resource* g : gateways_) {
      const auto& spec = g->As<config::GatewaySpec>();
      if (!LabelsContain(options_.gateway_labels, spec.selector)) continue;
      std::string key = g->ns() + "/" + g->name();
      for (const config::Server& s : spec.servers) {
        std::string protocol = s.port.protocol;
        for (char& c : protocol) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        // Other protocols are not listened on; the decoder's not-served warning says so.
        if (protocol != "HTTP") continue;
        for (const std::string& h : s.hosts) {
          ServerBinding b;
          b.gateway = key;
          b.gateway_namespace = g->ns();
          b.port = s.port.number;
          b.host_namespace = "*";
          b.host = h;
          if (auto slash = h.find('/'); slash != std::string::npos) {
            b.host_namespace = h.substr(0, slash);
            if (b.host_namespace == ".") b.host_namespace = g->ns();
            b.host = h.substr(slash + 1);
          }
          b.host = AsciiLower(b.host);
          bindings_[key].push_back(b);
          ports_.insert(b.port);
        }
      }
    }
  }

  void AddVirtualService(const Resource& r) {
    const auto& vs = r.As<config::VirtualServiceSpec>();
    std::string vs_key = r.ns() + "/" + r.name();
    std::vector<uint32_t> route_ids;
    bool compiled = false;
    VsShape& shape = shapes_[vs_key];
    shape.hosts = vs.hosts;
    shape.gateways = vs.gateways;
    for (const std::string& gw_ref : vs.gateways) {
      if (gw_ref == "mesh") continue;
      std::string key = gw_ref.find('/') == std::string::npos ? r.ns() + "/" + gw_ref : gw_ref;
      auto it = bindings_.find(key);
      if (it == bindings_.end()) continue;
      if (!compiled) {
        std::vector<Route> routes = CompileRoutes(r, vs, &shape.has_delegate);
        for (Route& route : routes) {
          route.id = static_cast<uint32_t>(routes_.size());
          route_ids.push_back(route.id);
          shape.catch_all.push_back(route.matches.empty());
          routes_.push_back(std::move(route));
        }
        shape.route_ids = route_ids;
        shape.compiled = compiled = true;
      }
      for (const ServerBinding& b : it->second) {
        if (b.host_namespace != "*" && b.host_namespace != "~" && b.host_namespace != r.ns()) {
          continue;
        }
        for (const std::string& raw_host : vs.hosts) {
          std::string host = AsciiLower(raw_host);
          if (host != "*" && host.front() != '*' && host.find('.') == std::string::npos) {
            host = config::ServiceFqdn(host, r.ns());
          }
          std::string domain;
          if (config::HostMatches(b.host, host)) {
            domain = host;
          } else if (config::HostMatches(host, b.host)) {
            domain = b.host;
          } else {
            continue;
          }
          uint32_t vh_index = VhostFor(b.port, domain, b.gateway);
          VirtualHost& vh = vhosts_[vh_index];
          if (!vhost_members_.insert((uint64_t{vh_index} << 32) | vs_ordinal_).second) continue;
          vh.routes.insert(vh.routes.end(), route_ids.begin(), route_ids.end());
        }
      }
    }
  }

  // The index of the vhost for (port, domain), created when new.
  uint32_t VhostFor(uint32_t port, const std::string& domain, const std::string& gateway) {
    std::string key = std::to_string(port) + "|" + domain;
    auto [it, inserted] =
        vhost_index_.try_emplace(std::move(key), static_cast<uint32_t>(vhosts_.size()));
    if (inserted) vhosts_.push_back(VirtualHost{port, domain, gateway, {}});
    return it->second;
  }

  // Istio's translation: `percentage.value` (a float percent) or else the deprecated integer
  // `percent`, to millionths; neither set is 0%, as Istio sends it to Envoy (the validator warns).
  static uint32_t PerMillion(const std::optional<config::Percent>& percentage,
                             const std::optional<int32_t>& percent) {
    double p = 0;
    if (percentage && percentage->value) {
      p = *percentage->value;
    } else if (percent) {
      p = *percent;
    }
    return static_cast<uint32_t>(std::clamp(std::llround(p * 10'000), 0LL, 1'000'000LL));
  }

  static FaultPolicy CompileFault(const config::HTTPFaultInjection& f) {
    FaultPolicy out;
    if (f.delay && f.delay->fixed_delay) {
      out.delay_nanos = f.delay->fixed_delay->nanos;
      out.delay_per_million = PerMillion(f.delay->percentage, f.delay->percent);
    }
    if (f.abort && f.abort->http_status) {
      out.abort_status = static_cast<uint32_t>(*f.abort->http_status);
      out.abort_per_million = PerMillion(f.abort->percentage, std::nullopt);
    }
    return out;
  }

  // Istio's ConvertPolicy: no `retries` is Istio's default policy; attempts 0 (or unset) turns
  // retries off; a retryOn list replaces the default conditions, its status codes going to
  // retriable-status-codes.
  static RetryPolicy CompileRetry(const config::HTTPRetry& r) {
    RetryPolicy out;
    if (!r.attempts || *r.attempts <= 0) {
      out.num_retries = 0;
      return out;
    }
    out.num_retries = static_cast<uint32_t>(std::min(*r.attempts, config::kMaxRetryAttempts));
    out.send_attempt_count = true;
    if (r.per_try_timeout) out.per_try_timeout_nanos = r.per_try_timeout->nanos;
    if (!r.retry_on || r.retry_on->empty()) return out;
    static const std::pair<std::string_view, uint32_t> kConditions[] = {
        {"connect-failure", RetryPolicy::kConnectFailure},
        {"refused-stream", RetryPolicy::kRefusedStream},
        {"unavailable", RetryPolicy::kUnavailable},
        {"cancelled", RetryPolicy::kCancelled},
        {"retriable-status-codes", RetryPolicy::kRetriableStatusCodes},
        {"5xx", RetryPolicy::k5xx},
        {"gateway-error", RetryPolicy::kGatewayError},
        {"reset", RetryPolicy::kReset},
        {"reset-before-request", RetryPolicy::kResetBeforeRequest},
        {"retriable-4xx", RetryPolicy::kRetriable4xx},
    };
    out.retry_on = 0;
    for (std::string_view p : config::SplitRetryOn(*r.retry_on)) {
      if (int code = config::RetryOnStatusCode(p); code != 0) {
        out.status_codes.push_back(static_cast<uint32_t>(code));
        out.retry_on |= RetryPolicy::kRetriableStatusCodes;
        continue;
      }
      for (const auto& [name, bit] : kConditions) {
        if (p == name) out.retry_on |= bit;
      }
    }
    return out;
  }

  // The routes of one VirtualService's rules, ids not yet assigned.
  std::vector<Route> CompileRoutes(const Resource& r, const config::VirtualServiceSpec& vs,
                                   bool* has_delegate) {
    std::vector<Route> out;
    // The validator refused a bad annotation; one that gets here parses.
    Result<std::optional<config::StickyCanary>> sticky_or =
        config::StickyCanaryOf(r.metadata.annotations);
    std::optional<config::StickyCanary> sticky = sticky_or.ok() ? *sticky_or : std::nullopt;
    for (size_t i = 0; i < vs.http.size(); ++i) {
      const config::HTTPRoute& h = vs.http[i];
      Route route;
      route.virtual_service = r.ns() + "/" + r.name();
      route.name = route.virtual_service + "#" + (h.name ? *h.name : std::to_string(i));
      if (h.delegate) {  // not served yet: skipped, with the decoder's warning
        *has_delegate = true;
        continue;
      }
      for (const config::HTTPMatchRequest& m : h.match) {
        Result<MatchBlock> block = CompileMatch(m);
        if (!block.ok()) {
          error_ = route.name + ": " + block.status().message();
          return out;
        }
        route.matches.push_back(std::move(*block));
      }
      if (h.timeout) route.timeout_nanos = h.timeout->nanos;
      if (h.fault) route.fault = CompileFault(*h.fault);
      if (h.retries) route.retry = CompileRetry(*h.retries);
      if (h.rewrite) {
        Result<RewritePolicy> rewrite = CompileRewrite(*h.rewrite);
        if (!rewrite.ok()) {
          error_ = route.name + ": rewrite." + rewrite.status().message();
          return out;
        }
        route.rewrite = std::move(*rewrite);
      }
      if (h.headers) route.headers = CompileHeaderChanges(*h.headers);
      if (h.cors_policy) {
        Result<CorsPolicy> cors = CompileCors(*h.cors_policy);
        if (!cors.ok()) {
          error_ = route.name + ": corsPolicy: " + cors.status().message();
          return out;
        }
        route.cors = std::move(*cors);
      }
      if (sticky) {
        route.sticky.source = sticky->cookie ? HashKey::Source::kCookie : HashKey::Source::kHeader;
        route.sticky.name = sticky->name;
        route.sticky.make_cookie = sticky->cookie;
        if (sticky->max_age_seconds > 0) {
          route.sticky.cookie_attributes = "; Max-Age=" + std::to_string(sticky->max_age_seconds);
        }
        route.sticky.cookie_attributes += "; Path=/; HttpOnly; SameSite=Lax";
      }
      if (h.redirect) {
        route.action = Route::Action::kRedirect;
        route.redirect_uri = h.redirect->uri.value_or("");
        route.redirect_authority = h.redirect->authority.value_or("");
        route.redirect_scheme = h.redirect->scheme.value_or("");
        route.redirect_port = h.redirect->port.value_or(0);
        route.redirect_code = h.redirect->redirect_code.value_or(301);
      } else if (h.direct_response) {
        route.action = Route::Action::kDirectResponse;
        route.direct_status = h.direct_response->status;
        if (h.direct_response->body) {
          route.direct_body = h.direct_response->body->string.value_or("");
        }
      } else {
        route.action = Route::Action::kForward;
        bool single = h.route.size() == 1;
        for (size_t j = 0; j < h.route.size(); ++j) {
          const config::HTTPRouteDestination& d = h.route[j];
          uint32_t weight = single ? 1 : static_cast<uint32_t>(std::max(0, d.weight.value_or(0)));
          // A destination at weight 0 gets no traffic but still gets its cluster, so that a
          // weight shift towards it later is a patch, not a full compile.
          uint32_t cluster = ClusterFor(d.destination, r.ns(), route.name);
          if (weight == 0) continue;
          WeightedCluster wc{cluster, weight, nullptr};
          if (d.headers) {
            HeaderChanges changes = CompileHeaderChanges(*d.headers);
            if (!changes.empty()) wc.headers = std::make_shared<HeaderChanges>(std::move(changes));
          }
          route.clusters.push_back(std::move(wc));
          route.total_weight += weight;
        }
        // Istio: without a percentage, every request is mirrored.
        auto share = [](const std::optional<config::Percent>& pct) {
          return pct ? PerMillion(pct, std::nullopt) : 1'000'000u;
        };
        if (h.mirror) {
          uint32_t per_million = share(h.mirror_percentage);
          if (!h.mirror_percentage && h.mirror_percent) {
            per_million =
                static_cast<uint32_t>(std::min<uint64_t>(*h.mirror_percent, 100) * 10'000);
          }
          route.mirrors.push_back({ClusterFor(*h.mirror, r.ns(), route.name), per_million});
        }
        for (const config::HTTPMirrorPolicy& m : h.mirrors) {
          route.mirrors.push_back(
              {ClusterFor(m.destination, r.ns(), route.name), share(m.percentage)});
        }
      }
      out.push_back(std::move(route));
    }
    return out;
  }

  Result<MatchBlock> CompileMatch(const config::HTTPMatchRequest& m) {
    MatchBlock b;
    bool ignore_case = m.ignore_uri_case.value_or(false);
    auto one = [&](const std::optional<config::StringMatch>& sm, bool* has, StringMatcher* out,
                   bool icase) -> Status {
      if (!sm) return Status::Ok();
      Result<StringMatcher> built = StringMatcher::Build(*sm, icase);
      if (!built.ok()) return built.status();
      *has = true;
      *out = std::move(*built);
      return Status::Ok();
    };
    for (Status s : {one(m.uri, &b.has_uri, &b.uri, ignore_case),
                     one(m.scheme, &b.has_scheme, &b.scheme, false),
                     one(m.method, &b.has_method, &b.method, false),
                     one(m.authority, &b.has_authority, &b.authority, false)}) {
      if (!s.ok()) return s;
    }
    auto many = [](const std::map<std::string, config::StringMatch>& in, bool lower_names,
                   std::vector<HeaderMatcher>* out) -> Status {
      for (const auto& [name, sm] : in) {
        Result<StringMatcher> built = StringMatcher::Build(sm);
        if (!built.ok()) return built.status();
        out->push_back(HeaderMatcher{lower_names ? AsciiLower(name) : name, std::move(*built)});
      }
      return Status::Ok();
    };
    for (Status s :
         {many(m.headers, true, &b.headers), many(m.without_headers, true, &b.without_headers),
          many(m.query_params, false, &b.query_params)}) {
      if (!s.ok()) return s;
    }
    b.port = m.port.value_or(0);
    b.gateways = m.gateways;
    return b;
  }

  // ---------------------------------------------------------------- destinations

  struct Target {
    const Resource* service = nullptr;  // core Service
    const Resource* entry = nullptr;    // ServiceEntry
    std::string fqdn;
  };

  Target Resolve(const std::string& host, const std::string& ns) {
    Target t;
    for (const std::string& c : config::HostCandidates(AsciiLower(host), ns)) {
      if (auto it = services_.find(c); it != services_.end()) {
        t.service = it->second;
        t.fqdn = c;
        return t;
      }
      for (const auto& [h, se] : service_entries_) {
        if (h == c) {
          t.entry = se;
          t.fqdn = c;
          return t;
        }
      }
    }
    for (const std::string& c : config::HostCandidates(AsciiLower(host), ns)) {
      for (const auto& [h, se] : wildcard_entries_) {
        if (config::HostMatches(h, c)) {
          t.entry = se;
          t.fqdn = c;
          return t;
        }
      }
    }
    return t;
  }

  // The DestinationRule for a service: exact host before wildcard, the route's namespace, then
  // the service's, then any.
  const config::DestinationRuleSpec* RuleFor(const std::string& fqdn, const std::string& vs_ns,
                                             const std::string& svc_ns) {
    const Resource* best = nullptr;
    int best_score = -1;
    for (const Resource* r : destination_rules_) {
      const auto& dr = r->As<config::DestinationRuleSpec>();
      bool matched = false;
      bool exact = false;
      for (const std::string& c : config::HostCandidates(AsciiLower(dr.host), r->ns())) {
        if (c == fqdn) matched = exact = true;
        if (!matched && config::HostMatches(c, fqdn)) matched = true;
      }
      if (!matched) continue;
      int score = (exact ? 4 : 0) + (r->ns() == vs_ns ? 2 : 0) + (r->ns() == svc_ns ? 1 : 0);
      if (score > best_score) {
        best_score = score;
        best = r;
      }
    }
    return best ? &best->As<config::DestinationRuleSpec>() : nullptr;
  }

  static void ApplyPolicy(const config::TrafficPolicy& p, uint32_t port, Cluster* c) {
    const config::LoadBalancerSettings* lb = p.load_balancer ? &*p.load_balancer : nullptr;
    const config::ConnectionPoolSettings* pool = p.connection_pool ? &*p.connection_pool : nullptr;
    for (const config::PortTrafficPolicy& pl : p.port_level_settings) {
      if (pl.port && pl.port->number && *pl.port->number == port) {
        if (pl.load_balancer) lb = &*pl.load_balancer;
        if (pl.connection_pool) pool = &*pl.connection_pool;
      }
    }
    if (lb && lb->simple) {
      if (*lb->simple == "ROUND_ROBIN") c->lb = LbPolicy::kRoundRobin;
      if (*lb->simple == "RANDOM") c->lb = LbPolicy::kRandom;
      if (*lb->simple == "LEAST_REQUEST" || *lb->simple == "LEAST_CONN") {
        c->lb = LbPolicy::kLeastRequest;
      }
    }
    const config::OutlierDetection* od = p.outlier_detection ? &*p.outlier_detection : nullptr;
    for (const config::PortTrafficPolicy& pl : p.port_level_settings) {
      if (pl.port && pl.port->number && *pl.port->number == port && pl.outlier_detection) {
        od = &*pl.outlier_detection;
      }
    }
    if (od) ApplyOutlierDetection(*od, c);
    if (pool && pool->tcp && pool->tcp->connect_timeout) {
      c->connect_timeout_nanos = pool->tcp->connect_timeout->nanos;
    }
    if (pool) ApplyPoolLimits(*pool, c);
    // Istio merges a subset's or port's policy field by field: its loadBalancer replaces the
    // rule's whole, hash policy included.
    if (lb) c->hash_key = HashKey();
    if (lb && lb->consistent_hash) ApplyConsistentHash(*lb->consistent_hash, c);
  }

  // Istio's connectionPool thresholds; as in Istio, 0 leaves a threshold unset.
  static void ApplyPoolLimits(const config::ConnectionPoolSettings& pool, Cluster* c) {
    auto set = [](const std::optional<int32_t>& v, uint32_t* out) {
      if (v && *v > 0) *out = static_cast<uint32_t>(*v);
    };
    PoolLimits& l = c->pool;
    uint32_t connections = PoolLimits::kUnlimited, requests = PoolLimits::kUnlimited;
    if (pool.tcp) set(pool.tcp->max_connections, &connections);
    if (pool.http) {
      set(pool.http->http2_max_requests, &requests);
      set(pool.http->http1_max_pending_requests, &l.max_pending);
      set(pool.http->max_requests_per_connection, &l.max_requests_per_connection);
      set(pool.http->max_retries, &l.max_retries);
    }
    if (connections != PoolLimits::kUnlimited || requests != PoolLimits::kUnlimited) {
      l.max_requests = std::min(connections, requests);
    }
  }

  // Istio's outlierDetection as its conversion to Envoy's outlier_detection sets it up.
  static void ApplyOutlierDetection(const config::OutlierDetection& od, Cluster* c) {
    OutlierPolicy o;
    o.enabled = true;
    if (od.consecutive_5xx_errors) o.consecutive_5xx = *od.consecutive_5xx_errors;
    if (od.consecutive_gateway_errors) o.consecutive_gateway = *od.consecutive_gateway_errors;
    if (od.consecutive_errors && !od.consecutive_gateway_errors) {
      // The deprecated field counted 502, 503 and 504, and Istio maps it so.
      o.consecutive_gateway = static_cast<uint32_t>(std::max(0, *od.consecutive_errors));
      if (!od.consecutive_5xx_errors) o.consecutive_5xx = 0;
    }
    o.split_local_origin = od.split_external_local_origin_errors.value_or(false);
    if (od.consecutive_local_origin_failures) {
      o.consecutive_local = *od.consecutive_local_origin_failures;
    }
    if (od.interval) o.interval_nanos = od.interval->nanos;
    if (od.base_ejection_time) o.base_ejection_nanos = od.base_ejection_time->nanos;
    if (od.max_ejection_percent) {
      o.max_ejection_percent = static_cast<uint32_t>(std::clamp(*od.max_ejection_percent, 0, 100));
    }
    if (od.min_health_percent) {
      o.min_health_percent = static_cast<uint32_t>(std::clamp(*od.min_health_percent, 0, 100));
    }
    c->outlier = o;
  }

  // Istio's consistentHash as Envoy's hash policy: one key (Istio allows one), and a ring hash
  // unless maglev is set.
  static void ApplyConsistentHash(const config::ConsistentHashLB& h, Cluster* c) {
    HashKey key;
    if (h.http_header_name) {
      key.source = HashKey::Source::kHeader;
      key.name = AsciiLower(*h.http_header_name);
    } else if (h.http_cookie) {
      key.source = HashKey::Source::kCookie;
      key.name = h.http_cookie->name;
      // Envoy makes the cookie only when a ttl is set; a ttl of 0 makes a session cookie.
      if (h.http_cookie->ttl) {
        key.make_cookie = true;
        int64_t seconds = h.http_cookie->ttl->nanos / 1'000'000'000;
        if (seconds > 0) key.cookie_attributes += "; Max-Age=" + std::to_string(seconds);
        if (h.http_cookie->path) key.cookie_attributes += "; Path=" + *h.http_cookie->path;
        key.cookie_attributes += "; HttpOnly";
        for (const config::HTTPCookieAttribute& a : h.http_cookie->attributes) {
          key.cookie_attributes += "; " + a.name;
          if (a.value) key.cookie_attributes += "=" + *a.value;
        }
      }
    } else if (h.use_source_ip.value_or(false)) {
      key.source = HashKey::Source::kSourceIp;
    } else if (h.http_query_parameter_name) {
      key.source = HashKey::Source::kQueryParameter;
      key.name = *h.http_query_parameter_name;
    }
    c->hash_key = std::move(key);
    if (h.maglev) {
      c->hash_kind = EndpointHash::Kind::kMaglev;
      c->hash_size = h.maglev->table_size.value_or(0);
    } else {
      c->hash_kind = EndpointHash::Kind::kRing;
      c->hash_size = h.ring_hash && h.ring_hash->minimum_ring_size
                         ? *h.ring_hash->minimum_ring_size
                         : h.minimum_ring_size.value_or(0);
    }
  }

  // The consistent-hash ring of the cluster's endpoints as they are now.
  static void BuildEndpointHash(Cluster* c) {
    c->endpoint_hash.reset();
    if (!c->hash_key.enabled() || c->endpoints.empty()) return;
    std::vector<std::string> keys;
    std::vector<uint32_t> weights;
    for (const Endpoint& e : c->endpoints) {
      keys.push_back(e.address_text);
      weights.push_back(e.weight);
    }
    c->endpoint_hash = EndpointHash::Build(c->hash_kind, keys, weights, c->hash_size);
  }

  uint32_t ClusterFor(const config::Destination& d, const std::string& vs_ns,
                      const std::string& route_name) {
    Target t = Resolve(d.host, vs_ns);
    uint32_t port = d.port && d.port->number ? *d.port->number : 0;
    std::string subset = d.subset.value_or("");
    DestinationKey key{t.fqdn.empty() ? d.host : t.fqdn, port, subset};
    if (auto it = cluster_index_.find(key); it != cluster_index_.end()) return it->second;
    if (patching_) {
      // A patch shares the cluster list; a destination it lacks needs a full compile.
      patch_failed_ = true;
      return 0;
    }

    Cluster c;
    c.id = static_cast<uint32_t>(clusters_.size());
    c.subset = subset;
    c.service_fqdn = key.fqdn;
    std::string svc_ns;
    if (t.service) {
      c.service_name = t.service->name();
      c.service_namespace = svc_ns = t.service->ns();
    } else if (t.entry) {
      c.service_name = t.fqdn;
      c.service_namespace = svc_ns = t.entry->ns();
    } else {
      c.service_name = d.host;
      c.service_namespace = vs_ns;
    }
    auto fail = [&](std::string problem) {
      c.missing = true;
      c.problem = std::move(problem);
      warnings_.push_back(route_name + ": " + c.problem + "; requests get 503 NC");
    };
    if (!t.service && !t.entry) {
      fail("destination host \"" + d.host + "\" matches no Service or ServiceEntry");
    } else {
      std::vector<uint32_t> ports = ServicePorts(t);
      if (port == 0) {
        if (ports.size() == 1) {
          port = ports[0];
        } else {
          fail("destination " + t.fqdn + " has " + std::to_string(ports.size()) +
               " ports: set destination.port.number");
        }
      } else if (std::find(ports.begin(), ports.end(), port) == ports.end()) {
        fail("destination " + t.fqdn + " has no port " + std::to_string(port));
      }
    }
    c.port = port;
    c.name = "outbound|" + std::to_string(port) + "|" + subset + "|" + c.service_fqdn;
    if (!c.missing) {
      const config::DestinationRuleSpec* dr = RuleFor(t.fqdn, vs_ns, svc_ns);
      std::map<std::string, std::string> subset_labels;
      if (dr && dr->traffic_policy) ApplyPolicy(*dr->traffic_policy, port, &c);
      if (!subset.empty()) {
        const config::Subset* found = nullptr;
        if (dr) {
          for (const config::Subset& s : dr->subsets) {
            if (s.name == subset) found = &s;
          }
        }
        if (found == nullptr) {
          fail("subset \"" + subset + "\" of " + t.fqdn + " is defined by no DestinationRule");
        } else {
          subset_labels = found->labels;
          if (found->traffic_policy) ApplyPolicy(*found->traffic_policy, port, &c);
        }
      }
      if (!c.missing) {
        if (t.service) {
          ServiceEndpoints(*t.service, port, subset_labels, &c);
          recipes_[c.id] = EndpointRecipe{t.service, port, subset_labels};
        } else {
          EntryEndpoints(*t.entry, port, subset_labels, &c);
        }
        BuildEndpointHash(&c);
      }
    }
    cluster_index_[key] = c.id;
    clusters_.push_back(std::move(c));
    return clusters_.back().id;
  }

  static std::vector<uint32_t> ServicePorts(const Target& t) {
    std::vector<uint32_t> out;
    if (t.service) {
      for (const auto& p : t.service->As<config::ServiceSpec>().ports) {
        out.push_back(static_cast<uint32_t>(p.port));
      }
    } else if (t.entry) {
      for (const auto& p : t.entry->As<config::ServiceEntrySpec>().ports) out.push_back(p.number);
    }
    return out;
  }

  void AddEndpoint(const std::string& address, uint32_t port,
                   const std::map<std::string, std::string>& labels, const std::string& subset,
                   const std::string& workload, const std::string& workload_ns, uint32_t weight,
                   Cluster* c) {
    if (address.rfind("unix://", 0) == 0) return;  // not served yet: the decoder warned
    Result<event::SocketAddress> addr = event::SocketAddress::Parse(address, port);
    if (!addr.ok()) {
      // A host name: resolve it now, off the request path.
      addrinfo hints{};
      hints.ai_family = AF_UNSPEC;
      hints.ai_socktype = SOCK_STREAM;
      addrinfo* res = nullptr;
      if (getaddrinfo(address.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) {
        warnings_.push_back(c->name + ": endpoint " + address + " does not resolve; skipped");
        return;
      }
      event::SocketAddress a;
      std::memcpy(&a.storage, res->ai_addr, res->ai_addrlen);
      a.length = static_cast<socklen_t>(res->ai_addrlen);
      freeaddrinfo(res);
      addr = event::SocketAddress::Parse(a.host(), port);
      if (!addr.ok()) return;
    }
    Endpoint e;
    e.address = *addr;
    e.address_text = addr->ToString();
    auto v = labels.find("version");
    e.version = v != labels.end() ? v->second : subset;
    e.workload = workload;
    e.workload_namespace = workload_ns;
    auto label = [&](const char* k) {
      auto it = labels.find(k);
      return it == labels.end() ? std::string() : it->second;
    };
    e.app = label("app");
    e.canonical_service = label("service.istio.io/canonical-name");
    if (e.canonical_service.empty()) e.canonical_service = e.app.empty() ? workload : e.app;
    e.canonical_revision = label("service.istio.io/canonical-revision");
    if (e.canonical_revision.empty()) {
      e.canonical_revision = e.version.empty() ? "latest" : e.version;
    }
    e.weight = weight == 0 ? 1 : weight;
    c->endpoints.push_back(std::move(e));
  }

  // A Service without a selector: the ready addresses a person wrote in its Endpoints object,
  // on the subset port named as the Service port (or the subset's only port).
  void ManualEndpoints(const Resource& svc, const config::ServicePortSpec* sp, uint32_t port,
                       const std::map<std::string, std::string>& subset_labels, Cluster* c) {
    auto it = endpoints_.find({svc.ns(), svc.name()});
    if (it == endpoints_.end() || !subset_labels.empty()) return;
    for (const config::EndpointSubset& s : it->second->As<config::EndpointsBody>().subsets) {
      std::optional<uint32_t> target;
      for (const config::EndpointPort& p : s.ports) {
        if (s.ports.size() == 1 || (sp && sp->name && p.name == sp->name)) {
          target = static_cast<uint32_t>(p.port);
        }
      }
      if (s.ports.empty()) target = port;
      if (!target) continue;
      for (const config::EndpointAddress& a : s.addresses) {
        AddEndpoint(a.ip, *target, {}, c->subset, svc.name(), svc.ns(), 1, c);
      }
    }
  }

  // The ready Pods a Service selects (with publishNotReadyAddresses, those not ready too, but
  // never a terminating one: its graceful stop relies on leaving first), on the port their
  // targetPort was given.
  void PodEndpoints(const Resource& svc, const config::ServicePortSpec* sp, uint32_t port,
                    const std::map<std::string, std::string>& subset_labels, Cluster* c) {
    const auto& spec = svc.As<config::ServiceSpec>();
    for (const auto& [key, p] : pods_) {
      if (p->ns() != svc.ns() || !LabelsContain(p->metadata.labels, spec.selector) ||
          !LabelsContain(p->metadata.labels, subset_labels)) {
        continue;
      }
      config::PodEndpoint e = config::PodEndpointOf(*p);
      if (e.ip.empty() || e.terminating ||
          (!e.ready && !spec.publish_not_ready_addresses.value_or(false))) {
        continue;
      }
      std::optional<uint32_t> target = config::PodTargetPort(e, sp, port);
      if (!target) continue;
      AddEndpoint(e.ip, *target, p->metadata.labels, c->subset, p->name(), p->ns(), 1, c);
    }
  }

  void ServiceEndpoints(const Resource& svc, uint32_t port,
                        const std::map<std::string, std::string>& subset_labels, Cluster* c) {
    const auto& spec = svc.As<config::ServiceSpec>();
    const config::ServicePortSpec* sp = nullptr;
    for (const auto& p : spec.ports) {
      if (static_cast<uint32_t>(p.port) == port) sp = &p;
    }
    if (spec.selector.empty()) {
      ManualEndpoints(svc, sp, port, subset_labels, c);
      return;
    }
    PodEndpoints(svc, sp, port, subset_labels, c);
    for (const Resource* w : workloads_) {
      if (w->ns() != svc.ns()) continue;
      const auto& we = w->As<config::WorkloadEntrySpec>();
      if (!LabelsContain(we.labels, spec.selector) || !LabelsContain(we.labels, subset_labels)) {
        continue;
      }
      uint32_t target = port;
      if (sp && sp->target_port) {
        if (sp->target_port->is_int) {
          target = static_cast<uint32_t>(sp->target_port->int_value);
        } else if (auto it = we.ports.find(sp->target_port->string_value); it != we.ports.end()) {
          target = it->second;
        }
      }
      if (sp && sp->name) {
        if (auto it = we.ports.find(*sp->name); it != we.ports.end()) target = it->second;
      }
      if (!we.address) continue;
      AddEndpoint(*we.address, target, we.labels, c->subset, w->name(), w->ns(),
                  we.weight.value_or(1), c);
    }
  }

  void EntryEndpoints(const Resource& entry, uint32_t port,
                      const std::map<std::string, std::string>& subset_labels, Cluster* c) {
    const auto& se = entry.As<config::ServiceEntrySpec>();
    const config::ServicePort* sp = nullptr;
    for (const auto& p : se.ports) {
      if (p.number == port) sp = &p;
    }
    auto target_of = [&](const std::map<std::string, uint32_t>& ports) {
      if (sp) {
        if (auto it = ports.find(sp->name); it != ports.end()) return it->second;
        if (sp->target_port) return *sp->target_port;
      }
      return port;
    };
    if (se.workload_selector) {
      for (const Resource* w : workloads_) {
        if (w->ns() != entry.ns()) continue;
        const auto& we = w->As<config::WorkloadEntrySpec>();
        if (!LabelsContain(we.labels, se.workload_selector->labels) ||
            !LabelsContain(we.labels, subset_labels) || !we.address) {
          continue;
        }
        AddEndpoint(*we.address, target_of(we.ports), we.labels, c->subset, w->name(), w->ns(),
                    we.weight.value_or(1), c);
      }
      return;
    }
    std::string resolution = se.resolution.value_or("NONE");
    if (se.endpoints.empty() && (resolution == "DNS" || resolution == "DNS_ROUND_ROBIN")) {
      // DNS resolution without endpoints: the host itself is the endpoint.
      AddEndpoint(c->service_fqdn, sp && sp->target_port ? *sp->target_port : port, {}, c->subset,
                  c->service_fqdn, entry.ns(), 1, c);
      return;
    }
    for (const config::WorkloadEntrySpec& e : se.endpoints) {
      if (!LabelsContain(e.labels, subset_labels) || !e.address) continue;
      AddEndpoint(*e.address, target_of(e.ports), e.labels, c->subset, entry.name(), entry.ns(),
                  e.weight.value_or(1), c);
    }
  }

  void Finish() {
    // Catch-all rules (no match) of earlier VirtualServices would hide later ones: move them to
    // the end, keeping the creation order otherwise.
    for (VirtualHost& vh : vhosts_) {
      std::stable_partition(vh.routes.begin(), vh.routes.end(),
                            [&](uint32_t id) { return !routes_[id].matches.empty(); });
    }
    // Index vhosts per port: exact names, wildcards longest first, catch-all.
    std::map<uint32_t, std::vector<uint32_t>> by_port;
    for (uint32_t i = 0; i < vhosts_.size(); ++i) {
      by_port[vhosts_[i].port].push_back(i);
    }
    for (uint32_t port : ports_) {
      PortRoutes pr;
      pr.port = port;
      for (uint32_t i : by_port[port]) {
        const VirtualHost& vh = vhosts_[i];
        if (vh.domain == "*") {
          pr.catch_all = i;
        } else if (vh.domain.rfind("*.", 0) == 0) {
          pr.wildcards.emplace_back(vh.domain.substr(1), i);
        } else {
          pr.exact[vh.domain] = i;
        }
      }
      std::sort(pr.wildcards.begin(), pr.wildcards.end(),
                [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
      port_routes_.push_back(std::move(pr));
    }
  }

  // What a patch must keep the same for a VirtualService, and the routes it compiled to.
  struct VsShape {
    std::vector<std::string> hosts;
    std::vector<std::string> gateways;
    bool compiled = false;  // bound to at least one of this gateway's servers
    bool has_delegate = false;
    std::vector<uint32_t> route_ids;
    std::vector<bool> catch_all;  // per route: matches everything (ordered last in a vhost)
  };

  CompileOptions options_;
  std::shared_ptr<const RouteTable> table_;  // the last table built or patched
  std::vector<uint32_t> ports_list_;
  std::vector<Route> routes_;
  std::vector<Cluster> clusters_;
  std::vector<VirtualHost> vhosts_;
  std::vector<PortRoutes> port_routes_;
  std::unordered_map<std::string, VsShape> shapes_;  // "ns/name" -> shape
  bool patching_ = false;
  bool patch_failed_ = false;
  std::map<std::string, const Resource*> services_;
  std::vector<std::pair<std::string, const Resource*>> service_entries_;
  std::vector<std::pair<std::string, const Resource*>> wildcard_entries_;
  std::vector<const Resource*> workloads_;
  std::map<std::pair<std::string, std::string>, const Resource*> pods_;  // by (ns, name)
  // How each Service-backed cluster's endpoints were found, to find them again when Pods change.
  struct EndpointRecipe {
    const Resource* service = nullptr;
    uint32_t port = 0;
    std::map<std::string, std::string> subset_labels;
  };
  std::map<uint32_t, EndpointRecipe> recipes_;
  std::map<std::pair<std::string, std::string>, std::map<std::string, std::string>> pod_labels_;
  std::map<std::pair<std::string, std::string>, const Resource*> endpoints_;  // by (ns, name)
  std::vector<const Resource*> destination_rules_;
  std::vector<const Resource*> gateways_;
  std::vector<const Resource*> virtual_services_;
  std::map<std::string, std::vector<ServerBinding>> bindings_;
  std::set<uint32_t> ports_;
  std::unordered_map<std::string, uint32_t> vhost_index_;  // "port|domain" -> vhost
  std::map<DestinationKey, uint32_t> cluster_index_;
  std::unordered_set<uint64_t> vhost_members_;  // (vhost << 32 | VirtualService) already added
  uint32_t vs_ordinal_ = 0;                     // the VirtualService being added
  std::vector<std::string> warnings_;
  std::unordered_map<std::string, std::vector<std::string>> not_served_;  // "kind ns/name"
  std::vector<std::string> not_served_order_;                             // keys, first seen first
  std::string error_;
};

Result<CompileResult> Compiler::Compile(const std::vector<const config::Resource*>& resources,
                                        const CompileOptions& options) {
  auto builder = std::make_shared<TableBuilder>(options);
  Result<CompileResult> out = builder->Run(resources);
  if (out.ok()) out->builder = std::move(builder);
  return out;
}

Result<CompileResult> Compiler::Compile(const std::vector<config::Resource>& resources,
                                        const CompileOptions& options) {
  std::vector<const config::Resource*> pointers;
  pointers.reserve(resources.size());
  for (const config::Resource& r : resources) pointers.push_back(&r);
  Result<CompileResult> out = TableBuilder(options).Run(pointers);
  return out;  // the resources are the caller's: no patches from this one
}

std::optional<CompileResult> Compiler::PatchPods(
    CompileResult& previous,
    const std::vector<std::pair<std::pair<std::string, std::string>, const config::Resource*>>&
        changed,
    uint64_t generation) {
  if (!previous.builder) return std::nullopt;
  std::optional<CompileResult> out = previous.builder->PatchPods(changed, generation);
  if (out) out->builder = previous.builder;
  return out;
}

std::optional<CompileResult> Compiler::Patch(CompileResult& previous,
                                             const std::vector<const config::Resource*>& changed,
                                             uint64_t generation) {
  if (!previous.builder) return std::nullopt;
  std::optional<CompileResult> out = previous.builder->Patch(changed, generation);
  if (out) out->builder = previous.builder;
  return out;
}

}  // namespace canaryd::router

// DestinationRule rules, after Istio's validateDestinationRule / validateTrafficPolicy.
#include <set>

#include "config/hash_limits.h"
#include "config/validate_kinds.h"

namespace canaryd::config {
namespace {

constexpr int64_t kMillisecond = 1'000'000;

void CheckNonNegative(Checker& c, std::string_view field, const std::optional<int32_t>& v) {
  if (v && *v < 0) c.ErrorAt(field, "must be >= 0");
}

void CheckLoadBalancer(Checker& c, const LoadBalancerSettings& lb) {
  auto scope = c.path().Field("loadBalancer");
  if (lb.simple && lb.consistent_hash) c.Error("only one of simple or consistentHash may be set");
  if (lb.consistent_hash) {
    auto ch = c.path().Field("consistentHash");
    const ConsistentHashLB& h = *lb.consistent_hash;
    int keys = (h.http_header_name ? 1 : 0) + (h.http_cookie ? 1 : 0) +
               (h.use_source_ip.value_or(false) ? 1 : 0) + (h.http_query_parameter_name ? 1 : 0);
    if (keys != 1) {
      c.Error(
          "exactly one of httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName "
          "must be set");
    }
    if (h.ring_hash && h.maglev) c.Error("only one of ringHash or maglev may be set");
    if (h.http_header_name) {
      if (std::string why = CheckHeaderName(*h.http_header_name); !why.empty()) {
        c.ErrorAt("httpHeaderName", why);
      }
    }
    if (h.http_cookie) {
      auto cookie = c.path().Field("httpCookie");
      if (h.http_cookie->name.empty()) c.ErrorAt("name", "required field is missing");
      if (h.http_cookie->ttl && h.http_cookie->ttl->nanos < 0) c.ErrorAt("ttl", "must be >= 0");
      // The gateway writes these into a Set-Cookie header (when ttl is set).
      auto bad = [](std::string_view v) {
        return v.find_first_of(std::string_view(";\r\n\0", 4)) != std::string_view::npos;
      };
      if (bad(h.http_cookie->name) ||
          h.http_cookie->name.find_first_of(" =,\t") != std::string::npos) {
        c.ErrorAt("name", "a cookie name cannot hold spaces, '=', ',', ';' or control characters");
      }
      if (h.http_cookie->path && bad(*h.http_cookie->path)) {
        c.ErrorAt("path", "a cookie path cannot hold ';' or control characters");
      }
      for (size_t i = 0; i < h.http_cookie->attributes.size(); ++i) {
        const HTTPCookieAttribute& a = h.http_cookie->attributes[i];
        if (bad(a.name) || (a.value && bad(*a.value))) {
          auto at = c.path().Field("attributes");
          auto idx = c.path().Index(i);
          c.Error("a cookie attribute cannot hold ';' or control characters");
        }
      }
    }
    if (h.maglev && h.maglev->table_size) {
      uint64_t n = *h.maglev->table_size;
      if (!IsPrime(n) || n > kMaxMaglevSize) {
        c.ErrorAt("maglev.tableSize", "must be a prime number no larger than " +
                                          std::to_string(kMaxMaglevSize) + " (as Envoy requires)");
      }
    }
    uint64_t ring = h.ring_hash && h.ring_hash->minimum_ring_size ? *h.ring_hash->minimum_ring_size
                                                                  : h.minimum_ring_size.value_or(0);
    if (ring > kMaxRingSize) {
      c.WarningAt(h.ring_hash ? "ringHash.minimumRingSize" : "minimumRingSize",
                  "the ring is capped at " + std::to_string(kMaxRingSize) + " entries");
    }
  }
  if (lb.locality_lb_setting) {
    auto l = c.path().Field("localityLbSetting");
    const LocalityLoadBalancerSetting& s = *lb.locality_lb_setting;
    if (!s.distribute.empty() && !s.failover.empty()) {
      c.Error("only one of distribute or failover may be set");
    }
    auto d = c.path().Field("distribute");
    for (size_t i = 0; i < s.distribute.size(); ++i) {
      auto idx = c.path().Index(i);
      uint64_t total = 0;
      for (const auto& [locality, weight] : s.distribute[i].to) total += weight;
      if (total != 100) c.ErrorAt("to", "the weights must sum to 100");
    }
  }
  CheckMinDuration(c, "warmupDurationSecs", lb.warmup_duration_secs, kMillisecond);
  if (lb.warmup) {
    auto w = c.path().Field("warmup");
    CheckMinDuration(c, "duration", lb.warmup->duration, kMillisecond);
    if (lb.warmup->minimum_percent) CheckPercent(c, "minimumPercent", *lb.warmup->minimum_percent);
    if (lb.warmup->aggression && *lb.warmup->aggression < 1) {
      c.ErrorAt("aggression", "must be >= 1");
    }
  }
}

void CheckConnectionPool(Checker& c, const ConnectionPoolSettings& p) {
  auto scope = c.path().Field("connectionPool");
  if (!p.tcp && !p.http) c.Error("one of tcp or http must be set");
  if (p.tcp) {
    auto t = c.path().Field("tcp");
    CheckNonNegative(c, "maxConnections", p.tcp->max_connections);
    CheckMinDuration(c, "connectTimeout", p.tcp->connect_timeout, kMillisecond);
    CheckMinDuration(c, "maxConnectionDuration", p.tcp->max_connection_duration, kMillisecond);
    CheckMinDuration(c, "idleTimeout", p.tcp->idle_timeout, kMillisecond);
    if (p.tcp->tcp_keepalive) {
      auto k = c.path().Field("tcpKeepalive");
      CheckMinDuration(c, "time", p.tcp->tcp_keepalive->time, 1'000'000'000);
      CheckMinDuration(c, "interval", p.tcp->tcp_keepalive->interval, 1'000'000'000);
    }
  }
  if (p.http) {
    auto h = c.path().Field("http");
    CheckNonNegative(c, "http1MaxPendingRequests", p.http->http1_max_pending_requests);
    CheckNonNegative(c, "http2MaxRequests", p.http->http2_max_requests);
    CheckNonNegative(c, "maxRequestsPerConnection", p.http->max_requests_per_connection);
    CheckNonNegative(c, "maxRetries", p.http->max_retries);
    CheckNonNegative(c, "maxConcurrentStreams", p.http->max_concurrent_streams);
    CheckMinDuration(c, "idleTimeout", p.http->idle_timeout, kMillisecond);
  }
}

void CheckOutlierDetection(Checker& c, const OutlierDetection& o) {
  auto scope = c.path().Field("outlierDetection");
  CheckNonNegative(c, "consecutiveErrors", o.consecutive_errors);
  CheckMinDuration(c, "interval", o.interval, kMillisecond);
  CheckMinDuration(c, "baseEjectionTime", o.base_ejection_time, kMillisecond);
  if (o.max_ejection_percent) CheckPercent(c, "maxEjectionPercent", *o.max_ejection_percent);
  if (o.min_health_percent) CheckPercent(c, "minHealthPercent", *o.min_health_percent);
}

void CheckClientTls(Checker& c, const ClientTLSSettings& tls) {
  auto scope = c.path().Field("tls");
  std::string mode = tls.mode.value_or("DISABLE");
  if (mode == "MUTUAL" && !tls.credential_name && (!tls.client_certificate || !tls.private_key)) {
    c.Error("MUTUAL TLS needs a credentialName, or clientCertificate and privateKey");
  }
  if ((mode == "DISABLE" || mode == "ISTIO_MUTUAL") &&
      (tls.client_certificate || tls.private_key || tls.ca_certificates || tls.credential_name)) {
    c.Error("certificates cannot be set with TLS mode " + mode);
  }
}

void CheckPolicy(Checker& c, const TrafficPolicy& p, bool allow_port_level) {
  auto scope = c.path().Field("trafficPolicy");
  if (!p.load_balancer && !p.connection_pool && !p.outlier_detection && !p.tls &&
      p.port_level_settings.empty() && !p.tunnel && !p.proxy_protocol) {
    c.Error("a traffic policy needs at least one field");
  }
  if (p.load_balancer) CheckLoadBalancer(c, *p.load_balancer);
  if (p.connection_pool) CheckConnectionPool(c, *p.connection_pool);
  if (p.outlier_detection) CheckOutlierDetection(c, *p.outlier_detection);
  if (p.tls) CheckClientTls(c, *p.tls);
  if (p.tunnel) {
    auto t = c.path().Field("tunnel");
    if (!p.tunnel->protocol.empty() && p.tunnel->protocol != "CONNECT" &&
        p.tunnel->protocol != "POST") {
      c.ErrorAt("protocol", "must be CONNECT or POST");
    }
    CheckPortNumber(c, "targetPort", p.tunnel->target_port);
  }
  auto pls = c.path().Field("portLevelSettings");
  if (!allow_port_level && !p.port_level_settings.empty()) {
    c.Error("port level settings cannot be nested");
  }
  std::set<uint32_t> ports;
  for (size_t i = 0; i < p.port_level_settings.size(); ++i) {
    auto idx = c.path().Index(i);
    const PortTrafficPolicy& pl = p.port_level_settings[i];
    if (!pl.port || !pl.port->number) {
      c.ErrorAt("port", "a port level setting needs a port number");
    } else {
      auto port = c.path().Field("port");
      CheckPortNumber(c, "number", *pl.port->number);
      if (!ports.insert(*pl.port->number).second) c.Error("duplicate port level setting");
    }
    if (pl.load_balancer) CheckLoadBalancer(c, *pl.load_balancer);
    if (pl.connection_pool) CheckConnectionPool(c, *pl.connection_pool);
    if (pl.outlier_detection) CheckOutlierDetection(c, *pl.outlier_detection);
    if (pl.tls) CheckClientTls(c, *pl.tls);
  }
}

}  // namespace

void ValidateDestinationRule(Checker& c, const DestinationRuleSpec& dr) {
  auto spec = c.path().Field("spec");
  if (std::string why = CheckHost(dr.host, true); !why.empty()) {
    c.ErrorAt("host", why);
  } else {
    auto host = c.path().Field("host");
    WarnPartialWildcard(c, dr.host);
  }
  if (dr.traffic_policy) CheckPolicy(c, *dr.traffic_policy, true);
  std::map<std::string, size_t> names;
  {
    auto scope = c.path().Field("subsets");
    for (size_t i = 0; i < dr.subsets.size(); ++i) {
      auto idx = c.path().Index(i);
      const Subset& s = dr.subsets[i];
      if (std::string why = CheckDns1123Label(s.name); !why.empty()) {
        c.ErrorAt("name", why);
      } else if (auto [it, inserted] = names.emplace(s.name, i); !inserted) {
        c.ErrorAt("name", "duplicate subset name \"" + s.name + "\" (also subsets[" +
                              std::to_string(it->second) + "])");
      }
      CheckLabels(c, "labels", s.labels);
      if (s.traffic_policy) CheckPolicy(c, *s.traffic_policy, true);
    }
  }
  CheckExportTo(c, dr.export_to);
  if (dr.workload_selector) {
    auto ws = c.path().Field("workloadSelector");
    CheckLabels(c, "matchLabels", dr.workload_selector->match_labels);
  }
}

}  // namespace canaryd::config

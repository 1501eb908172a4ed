// A table of invalid documents, each with every error it must produce: file, line, column, field
// path and message, exactly. The documents go through the same path as `canaryctl validate` and
// `canaryd -f` (LoadText: parse, decode, validate).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/loader.h"

namespace canaryd::config {
namespace {

constexpr const char* kNone = "";
constexpr const char* kVirtualService =
    "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs}\nspec:\n";
constexpr const char* kGateway =
    "apiVersion: networking.istio.io/v1beta1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n";
constexpr const char* kDestinationRule =
    "apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata: {name: dr}\n"
    "spec:\n";
constexpr const char* kServiceEntry =
    "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: se}\nspec:\n";
constexpr const char* kWorkloadEntry =
    "apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata: {name: we}\nspec:\n";
constexpr const char* kService = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n";

struct InvalidCase {
  const char* name;
  const char* header;  // the document's first lines (apiVersion, kind, metadata, "spec:")
  const char* body;
  std::vector<std::string> errors;  // all of them, in order
};

const std::vector<InvalidCase>& Cases() {
  static const std::vector<InvalidCase> kCases = {
      {"vs_negative_weight",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - route:
    - destination: {host: a}
      weight: -5
)",
       {"t.yaml:9:15: spec.http[0].route[0].weight: must be >= 0"}},
      {"vs_weights_sum_zero",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - route:
    - destination: {host: a}
      weight: 0
    - destination: {host: b}
      weight: 0
)",
       {"t.yaml:8:5: spec.http[0].route: the weights of the destinations sum to 0: at least one "
        "must be > 0 (weights are relative, a destination gets weight/sum of the traffic)"}},
      {"vs_stringmatch_two_kinds",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - match:
    - uri: {exact: /a, prefix: /b}
    route:
    - destination: {host: a}
)",
       {"t.yaml:8:12: spec.http[0].match[0].uri: exactly one of exact, prefix or regex may be "
        "set"}},
      {"vs_stringmatch_empty",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - match:
    - uri: {}
    route:
    - destination: {host: a}
)",
       {"t.yaml:8:12: spec.http[0].match[0].uri: one of exact, prefix or regex must be set"}},
      {"vs_regex_invalid",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - match:
    - uri: {regex: "/a("}
    route:
    - destination: {host: a}
)",
       {"t.yaml:8:20: spec.http[0].match[0].uri.regex: invalid RE2 regex \"/a(\": missing ): /a("}},
      {"vs_header_key_uppercase",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - match:
    - headers:
        End-User: {exact: jason}
    route:
    - destination: {host: a}
)",
       {"t.yaml:9:9: spec.http[0].match[0].headers[End-User]: header name \"End-User\" must be "
        "lowercase"}},
      {"vs_without_headers_uppercase",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - match:
    - withoutHeaders:
        X-Canary: {}
    route:
    - destination: {host: a}
)",
       {"t.yaml:9:9: spec.http[0].match[0].withoutHeaders[X-Canary]: header name \"X-Canary\" must "
        "be lowercase"}},
      {"vs_route_and_redirect",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - route:
    - destination: {host: a}
    redirect: {uri: /b}
)",
       {"t.yaml:7:5: spec.http[0]: an HTTP route can have only one of route, redirect, "
        "directResponse or delegate"}},
      {"vs_rule_without_action",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - match:
    - uri: {prefix: /}
)",
       {"t.yaml:7:5: spec.http[0]: an HTTP route needs exactly one of route, redirect, "
        "directResponse or delegate"}},
      {"vs_redirect_code_not_3xx",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - redirect: {uri: /b, redirectCode: 200}
)",
       {"t.yaml:7:39: spec.http[0].redirect.redirectCode: must be a 3xx redirect status"}},
      {"vs_redirect_empty",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - redirect: {redirectCode: 301}
)",
       {"t.yaml:7:15: spec.http[0].redirect: a redirect must set at least one of uri, authority, "
        "port, derivePort or scheme"}},
      {"vs_direct_response_status",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - directResponse: {status: 100}
)",
       {"t.yaml:7:30: spec.http[0].directResponse.status: must be an HTTP status between 200 and "
        "599"}},
      {"vs_direct_response_missing_status",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - directResponse: {body: {string: hi}}
)",
       {"t.yaml:7:21: spec.http[0].directResponse.status: required field is missing"}},
      {"vs_destination_wildcard",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - route:
    - destination: {host: "*.example.com"}
)",
       {"t.yaml:8:27: spec.http[0].route[0].destination.host: a destination host cannot be a "
        "wildcard"}},
      {"vs_destination_subset_invalid",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - route:
    - destination: {host: a, subset: V1}
)",
       {"t.yaml:8:38: spec.http[0].route[0].destination.subset: \"V1\" is not a valid DNS-1123 "
        "label: lower case alphanumeric characters or '-', starting and ending with an "
        "alphanumeric character"}},
      {"vs_destination_port_range",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - route:
    - destination: {host: a, port: {number: 70000}}
)",
       {"t.yaml:8:45: spec.http[0].route[0].destination.port.number: port number 70000 must be "
        "between 1 and 65535"}},
      {"vs_destination_missing",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - route:
    - weight: 100
)",
       {"t.yaml:8:7: spec.http[0].route[0].destination: required field is missing"}},
      {"vs_destination_host_missing",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - route:
    - destination: {subset: v1}
)",
       {"t.yaml:8:20: spec.http[0].route[0].destination.host: required field is missing"}},
      {"vs_timeout_no_unit",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - route:
    - destination: {host: a}
    timeout: "10"
)",
       {"t.yaml:9:14: spec.http[0].timeout: invalid duration \"10\": missing unit (one of ns, us, "
        "ms, s, m, h)"}},
      {"vs_timeout_below_1ms",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - route:
    - destination: {host: a}
    timeout: 0.5ms
)",
       {"t.yaml:9:14: spec.http[0].timeout: duration \"0.5ms\" must be at least 1ms"}},
      {"vs_retries_negative",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - route:
    - destination: {host: a}
    retries: {attempts: -1, perTryTimeout: 2s}
)",
       {"t.yaml:9:25: spec.http[0].retries.attempts: must be >= 0"}},
      {"vs_retries_bad_policy",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - route:
    - destination: {host: a}
    retries: {attempts: 3, retryOn: "5xx,flaky"}
)",
       {"t.yaml:9:37: spec.http[0].retries.retryOn: unsupported retry policy \"flaky\" (Envoy "
        "retry policies such as 5xx, gateway-error, connect-failure, or an HTTP status code)"}},
      {"vs_fault_empty",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - route:
    - destination: {host: a}
    fault: {}
)",
       {"t.yaml:9:12: spec.http[0].fault: one of delay or abort must be set"}},
      {"vs_fault_abort_status",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - route:
    - destination: {host: a}
    fault:
      abort: {httpStatus: 700, percentage: {value: 10}}
)",
       {"t.yaml:10:27: spec.http[0].fault.abort.httpStatus: must be an HTTP status between 200 and "
        "599"}},
      {"vs_fault_delay_percentage",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - route:
    - destination: {host: a}
    fault:
      delay:
        fixedDelay: 5s
        percentage: {value: 150}
)",
       {"t.yaml:12:29: spec.http[0].fault.delay.percentage.value: percentage must be between 0 and "
        "100"}},
      {"vs_mirror_and_mirrors",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - route:
    - destination: {host: a}
    mirror: {host: b}
    mirrors:
    - destination: {host: c}
)",
       {"t.yaml:7:5: spec.http[0]: mirror and mirrors cannot both be set"}},
      {"vs_mirror_percentage",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - route:
    - destination: {host: a}
    mirror: {host: b}
    mirrorPercentage: {value: 100.5}
)",
       {"t.yaml:10:31: spec.http[0].mirrorPercentage.value: percentage must be between 0 and 100"}},
      {"vs_cors_method",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - route:
    - destination: {host: a}
    corsPolicy:
      allowMethods: [GET, FETCH]
)",
       {"t.yaml:10:27: spec.http[0].corsPolicy.allowMethods[1]: \"FETCH\" is not an HTTP method"}},
      {"vs_unknown_route_field",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - route:
    - destination: {host: a}
    retry: {attempts: 3}
)",
       {"t.yaml:9:5: spec.http[0].retry: unknown field \"retry\""}},
      {"vs_tcp_not_served",
       kVirtualService,
       R"(  hosts: [mongo]
  tcp:
  - route:
    - destination: {host: mongo}
)",
       {"t.yaml:7:3: spec.tcp: TCP routes are not served: canaryd is an HTTP gateway; route HTTP "
        "traffic with spec.http"}},
      {"vs_tls_not_served",
       kVirtualService,
       R"(  hosts: ["*.example.com"]
  tls:
  - match:
    - sniHosts: [a.example.com]
    route:
    - destination: {host: a}
)",
       {"t.yaml:7:3: spec.tls: TLS (SNI passthrough) routes are not served: canaryd terminates "
        "HTTP; route HTTP traffic with spec.http"}},
      {"vs_no_routes",
       kVirtualService,
       R"(  hosts: [web]
)",
       {"t.yaml:5:3: spec: one of http, tcp or tls routes must be provided"}},
      {"vs_host_invalid",
       kVirtualService,
       R"(  hosts: [bad_host]
  http:
  - route:
    - destination: {host: a}
)",
       {"t.yaml:5:11: spec.hosts[0]: \"bad_host\" is not a valid host: each DNS label must be 1 to "
        "63 letters, digits or '-', starting and ending with a letter or digit"}},
      {"vs_host_wildcard_middle",
       kVirtualService,
       R"(  hosts: ["a.*.com"]
  http:
  - route:
    - destination: {host: a}
)",
       {"t.yaml:5:11: spec.hosts[0]: \"a.*.com\" is not a valid host: a wildcard is only allowed "
        "at the start of the first label (\"*.example.com\", \"*x.example.com\")"}},
      {"vs_gateway_name_invalid",
       kVirtualService,
       R"(  hosts: [web]
  gateways: [Web_Gateway]
  http:
  - route:
    - destination: {host: a}
)",
       {"t.yaml:6:14: spec.gateways[0]: invalid gateway name: \"Web_Gateway\" is not a valid "
        "DNS-1123 subdomain: lower case alphanumeric characters, '-' or '.', starting and ending "
        "with an alphanumeric character"}},
      {"vs_gateways_without_hosts",
       kVirtualService,
       R"(  gateways: [web-gateway]
  http:
  - route:
    - destination: {host: a}
)",
       {"t.yaml:5:3: spec.hosts: a VirtualService with gateways needs at least one host (one "
        "without hosts is a delegate, which cannot name gateways)"}},
      {"vs_delegate_without_name",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - delegate: {namespace: prod}
)",
       {"t.yaml:7:15: spec.http[0].delegate.name: required field is missing"}},
      {"vs_header_operation_name",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - route:
    - destination: {host: a}
    headers:
      request:
        set: {"bad header": x}
)",
       {"t.yaml:11:15: spec.http[0].headers.request.set[bad header]: \"bad header\" is not a valid "
        "HTTP header name"}},
      {"vs_rewrite_both",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - route:
    - destination: {host: a}
    rewrite: {uri: /b, uriRegexRewrite: {match: ^/a, rewrite: /b}}
)",
       {"t.yaml:9:14: spec.http[0].rewrite: uri and uriRegexRewrite cannot both be set"}},
      {"vs_weight_as_string",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - route:
    - destination: {host: a}
      weight: "90"
)",
       {"t.yaml:9:15: spec.http[0].route[0].weight: expected integer, got string"}},
      {"vs_export_to_duplicate",
       kVirtualService,
       R"(  hosts: [web]
  exportTo: [".", "."]
  http:
  - route:
    - destination: {host: a}
)",
       {"t.yaml:6:19: spec.exportTo[1]: duplicate entry \".\""}},
      {"vs_match_port_zero",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - match:
    - port: 0
    route:
    - destination: {host: a}
)",
       {"t.yaml:8:13: spec.http[0].match[0].port: port number 0 must be between 1 and 65535"}},
      {"vs_all_errors_reported",
       kVirtualService,
       R"(  hosts: [web]
  http:
  - match:
    - uri: {regex: "["}
    route:
    - destination: {host: a}
      weight: -1
    - destination: {host: "*"}
      weight: 2
)",
       {"t.yaml:8:20: spec.http[0].match[0].uri.regex: invalid RE2 regex \"[\": missing ]: [",
        "t.yaml:11:15: spec.http[0].route[0].weight: must be >= 0",
        "t.yaml:12:27: spec.http[0].route[1].destination.host: a destination host cannot be a "
        "wildcard"}},
      {"gw_no_servers",
       kGateway,
       R"(  selector: {istio: ingressgateway}
)",
       {"t.yaml:5:3: spec.servers: a Gateway needs at least one server"}},
      {"gw_server_without_hosts",
       kGateway,
       R"(  servers:
  - port: {number: 80, name: http, protocol: HTTP}
)",
       {"t.yaml:6:5: spec.servers[0].hosts: required field is missing"}},
      {"gw_duplicate_port_names",
       kGateway,
       R"(  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
  - port: {number: 8080, name: http, protocol: HTTP}
    hosts: ["*"]
)",
       {"t.yaml:8:32: spec.servers[1].port.name: port names must be unique: \"http\" is also used "
        "by servers[0]"}},
      {"gw_port_name_missing",
       kGateway,
       R"(  servers:
  - port: {number: 80, protocol: HTTP}
    hosts: ["*"]
)",
       {"t.yaml:6:11: spec.servers[0].port.name: required field is missing"}},
      {"gw_protocol_unknown",
       kGateway,
       R"(  servers:
  - port: {number: 21, name: ftp, protocol: FTP}
    hosts: ["*"]
)",
       {"t.yaml:6:45: spec.servers[0].port.protocol: unsupported protocol \"FTP\": must be one of "
        "HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, TCP, TLS, MONGO, REDIS, MYSQL, UDP"}},
      {"gw_protocol_tcp_not_served",
       kGateway,
       R"(  servers:
  - port: {number: 27017, name: mongo, protocol: MONGO}
    hosts: ["*"]
)",
       {"t.yaml:6:50: spec.servers[0].port.protocol: protocol MONGO is not served: canaryd is an "
        "HTTP gateway (HTTP, HTTPS, HTTP2, GRPC)"}},
      {"gw_https_without_tls",
       kGateway,
       R"(  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["*"]
)",
       {"t.yaml:6:5: spec.servers[0].tls: HTTPS servers need tls settings"}},
      {"gw_simple_tls_without_credential",
       kGateway,
       R"(  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["*"]
    tls: {mode: SIMPLE}
)",
       {"t.yaml:8:10: spec.servers[0].tls: SIMPLE TLS needs a credentialName, or serverCertificate "
        "and privateKey"}},
      {"gw_tls_passthrough_not_served",
       kGateway,
       R"(  servers:
  - port: {number: 443, name: tls, protocol: HTTPS}
    hosts: ["*"]
    tls: {mode: PASSTHROUGH}
)",
       {"t.yaml:8:17: spec.servers[0].tls.mode: TLS PASSTHROUGH is not served: canaryd terminates "
        "TLS and routes HTTP; use mode SIMPLE or MUTUAL"}},
      {"gw_host_namespace_invalid",
       kGateway,
       R"(  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["Bad_NS/web.example.com"]
)",
       {"t.yaml:7:13: spec.servers[0].hosts[0]: invalid namespace in \"Bad_NS/web.example.com\": "
        "\"Bad_NS\" is not a valid DNS-1123 label: lower case alphanumeric characters or '-', "
        "starting and ending with an alphanumeric character"}},
      {"gw_selector_key_invalid",
       kGateway,
       R"(  selector: {"istio/": ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
)",
       {"t.yaml:5:14: spec.selector[istio/]: key \"istio/\" is not a valid qualified name: up to "
        "63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric "
        "character, with an optional DNS prefix and '/'"}},
      {"gw_port_number_zero",
       kGateway,
       R"(  servers:
  - port: {number: 0, name: http, protocol: HTTP}
    hosts: ["*"]
)",
       {"t.yaml:6:20: spec.servers[0].port.number: port number 0 must be between 1 and 65535"}},
      {"dr_missing_host",
       kDestinationRule,
       R"(  subsets:
  - name: v1
    labels: {version: v1}
)",
       {"t.yaml:5:3: spec.host: required field is missing"}},
      {"dr_duplicate_subsets",
       kDestinationRule,
       R"(  host: web
  subsets:
  - name: v1
    labels: {version: v1}
  - name: v1
    labels: {version: v2}
)",
       {"t.yaml:9:11: spec.subsets[1].name: duplicate subset name \"v1\" (also subsets[0])"}},
      {"dr_subset_name_invalid",
       kDestinationRule,
       R"(  host: web
  subsets:
  - name: Version_1
)",
       {"t.yaml:7:11: spec.subsets[0].name: \"Version_1\" is not a valid DNS-1123 label: lower "
        "case alphanumeric characters or '-', starting and ending with an alphanumeric character"}},
      {"dr_simple_and_consistent_hash",
       kDestinationRule,
       R"(  host: web
  trafficPolicy:
    loadBalancer:
      simple: RANDOM
      consistentHash: {useSourceIp: true}
)",
       {"t.yaml:8:7: spec.trafficPolicy.loadBalancer: only one of simple or consistentHash may be "
        "set"}},
      {"dr_consistent_hash_two_keys",
       kDestinationRule,
       R"(  host: web
  trafficPolicy:
    loadBalancer:
      consistentHash: {httpHeaderName: x-user, useSourceIp: true}
)",
       {"t.yaml:8:23: spec.trafficPolicy.loadBalancer.consistentHash: exactly one of "
        "httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName must be set"}},
      {"dr_max_ejection_percent",
       kDestinationRule,
       R"(  host: web
  trafficPolicy:
    outlierDetection: {maxEjectionPercent: 150}
)",
       {"t.yaml:7:44: spec.trafficPolicy.outlierDetection.maxEjectionPercent: percentage must be "
        "between 0 and 100"}},
      {"dr_connect_timeout_zero",
       kDestinationRule,
       R"(  host: web
  trafficPolicy:
    connectionPool:
      tcp: {connectTimeout: 0s}
)",
       {"t.yaml:8:29: spec.trafficPolicy.connectionPool.tcp.connectTimeout: duration \"0s\" must "
        "be at least 1ms"}},
      {"dr_empty_traffic_policy",
       kDestinationRule,
       R"(  host: web
  trafficPolicy: {}
)",
       {"t.yaml:6:18: spec.trafficPolicy: a traffic policy needs at least one field"}},
      {"dr_port_level_without_port",
       kDestinationRule,
       R"(  host: web
  trafficPolicy:
    portLevelSettings:
    - loadBalancer: {simple: RANDOM}
)",
       {"t.yaml:8:7: spec.trafficPolicy.portLevelSettings[0].port: a port level setting needs a "
        "port number"}},
      {"dr_lb_enum",
       kDestinationRule,
       R"(  host: web
  trafficPolicy:
    loadBalancer: {simple: round_robin}
)",
       {"t.yaml:7:28: spec.trafficPolicy.loadBalancer.simple: unsupported value \"round_robin\": "
        "must be one of UNSPECIFIED, LEAST_CONN, RANDOM, PASSTHROUGH, ROUND_ROBIN, LEAST_REQUEST"}},
      {"dr_cookie_without_name",
       kDestinationRule,
       R"(  host: web
  trafficPolicy:
    loadBalancer:
      consistentHash:
        httpCookie: {ttl: 0s}
)",
       {"t.yaml:9:21: spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.name: required "
        "field is missing"}},
      {"dr_maglev_table_not_prime",
       kDestinationRule,
       R"(  host: web
  trafficPolicy:
    loadBalancer:
      consistentHash: {httpHeaderName: x-user, maglev: {tableSize: 1000}}
)",
       {"t.yaml:8:68: spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize: must be a "
        "prime number no larger than 5000011 (as Envoy requires)"}},
      {"dr_cookie_attribute_injection",
       kDestinationRule,
       R"(  host: web
  trafficPolicy:
    loadBalancer:
      consistentHash:
        httpCookie: {name: "a;b", ttl: 1s, path: "/;Domain=evil", attributes: [{name: x, value: "y;z"}]}
)",
       {"t.yaml:9:28: spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.name: a cookie "
        "name cannot hold spaces, '=', ',', ';' or control characters",
        "t.yaml:9:50: spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.path: a cookie "
        "path cannot hold ';' or control characters",
        "t.yaml:9:80: spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.attributes[0]: a "
        "cookie attribute cannot hold ';' or control characters"}},
      {"vs_sticky_canary_annotation",
       "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: vs\n"
       "  annotations: {canaryd.io/sticky-canary: \"cookie=u; max-age=-1\"}\nspec:\n",
       R"(  hosts: [web]
  http: [{route: [{destination: {host: web}}]}]
)",
       {"t.yaml:5:16: metadata.annotations.canaryd.io/sticky-canary: max-age must be a whole "
        "number of seconds from 0 to 34560000 (400 days, RFC 6265bis's cap); 0 makes a session "
        "cookie"}},
      {"se_no_hosts",
       kServiceEntry,
       R"(  ports:
  - {number: 80, name: http, protocol: HTTP}
)",
       {"t.yaml:5:3: spec.hosts: required field is missing"}},
      {"se_host_star",
       kServiceEntry,
       R"(  hosts: ["*"]
  resolution: DNS
)",
       {"t.yaml:5:11: spec.hosts[0]: the wildcard host \"*\" is not allowed here"}},
      {"se_static_hostname",
       kServiceEntry,
       R"(  hosts: [api.example.com]
  ports:
  - {number: 80, name: http}
  resolution: STATIC
  endpoints:
  - address: backend.example.com
)",
       {"t.yaml:10:14: spec.endpoints[0].address: resolution STATIC needs IP addresses"}},
      {"se_endpoints_and_selector",
       kServiceEntry,
       R"(  hosts: [api.example.com]
  resolution: STATIC
  endpoints:
  - address: 10.0.0.1
  workloadSelector:
    labels: {app: api}
)",
       {"t.yaml:5:3: spec: only one of endpoints or workloadSelector may be set"}},
      {"se_endpoint_port_unknown",
       kServiceEntry,
       R"(  hosts: [api.example.com]
  ports:
  - {number: 80, name: http}
  resolution: STATIC
  endpoints:
  - address: 10.0.0.1
    ports: {https: 8443}
)",
       {"t.yaml:11:13: spec.endpoints[0].ports[https]: endpoint port \"https\" is not one of the "
        "ServiceEntry's port names"}},
      {"se_address_invalid",
       kServiceEntry,
       R"(  hosts: [api.example.com]
  addresses: [10.0.0.300/24]
  resolution: DNS
)",
       {"t.yaml:6:15: spec.addresses[0]: \"10.0.0.300/24\" is not an IP address or CIDR block"}},
      {"se_port_name_missing",
       kServiceEntry,
       R"(  hosts: [api.example.com]
  ports:
  - {number: 80}
)",
       {"t.yaml:7:5: spec.ports[0].name: required field is missing"}},
      {"we_no_address",
       kWorkloadEntry,
       R"(  ports: {http: 8080}
  labels: {app: web}
)",
       {"t.yaml:5:3: spec.address: required unless network is set: canaryd routes to this "
        "address"}},
      {"we_port_zero",
       kWorkloadEntry,
       R"(  address: 127.0.0.1
  ports: {http: 0}
)",
       {"t.yaml:6:11: spec.ports[http]: port number must be between 1 and 65535"}},
      {"svc_port_missing",
       kService,
       R"(  ports:
  - name: http
    targetPort: 8080
)",
       {"t.yaml:6:5: spec.ports[0].port: required field is missing"}},
      {"svc_two_ports_without_names",
       kService,
       R"(  ports:
  - port: 80
  - port: 443
)",
       {"t.yaml:6:5: spec.ports[0].name: required when a Service has more than one port",
        "t.yaml:7:5: spec.ports[1].name: required when a Service has more than one port"}},
      {"svc_name_invalid",
       kNone,
       R"(apiVersion: v1
kind: Service
metadata: {name: 1web}
spec:
  ports:
  - port: 80
)",
       {"t.yaml:3:18: metadata.name: \"1web\" is not a valid DNS-1035 label: it must start with a "
        "lower case letter"}},
      {"svc_target_port_name_invalid",
       kService,
       R"(  ports:
  - port: 80
    targetPort: HTTP_PORT
)",
       {"t.yaml:7:17: spec.ports[0].targetPort: \"HTTP_PORT\" is not a valid port name: 1 to 15 "
        "lower case letters, digits or '-', with at least one letter, no leading, trailing or "
        "double '-'"}},
      {"svc_type_enum",
       kService,
       R"(  type: Internal
  ports:
  - port: 80
)",
       {"t.yaml:5:9: spec.type: unsupported value \"Internal\": must be one of ClusterIP, "
        "NodePort, LoadBalancer, ExternalName"}},
      {"svc_port_name_quoted_number_ok_but_int_not",
       kService,
       R"(  ports:
  - name: 80
    port: 80
)",
       {"t.yaml:6:11: spec.ports[0].name: expected string, got integer"}},
      {"meta_name_missing",
       kNone,
       R"(apiVersion: v1
kind: Service
metadata: {labels: {app: web}}
spec:
  ports:
  - port: 80
)",
       {"t.yaml:3:11: metadata.name: required field is missing"}},
      {"meta_label_value_invalid",
       kNone,
       R"(apiVersion: v1
kind: Service
metadata:
  name: web
  labels: {app: "-web"}
spec:
  ports:
  - port: 80
)",
       {"t.yaml:5:12: metadata.labels[app]: value \"-web\" is not a valid label value: up to 63 "
        "alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric "
        "character"}},
      {"meta_unknown_top_level",
       kNone,
       R"(apiVersion: v1
kind: Service
metadata: {name: web}
specs: {}
)",
       {"t.yaml:4:1: specs: unknown field \"specs\" (a resource has apiVersion, kind, metadata, "
        "spec and status)",
        "t.yaml:1:1: spec.ports: a Service needs at least one port"}},
      {"kind_deployment_without_selector_and_template",
       kNone,
       R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: web-v1}
spec: {}
)",
       {"t.yaml:4:7: spec.selector: required field is missing",
        "t.yaml:4:7: spec.template: required field is missing"}},
      {"kind_statefulset",
       kNone,
       R"(apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web-v1}
spec: {}
)",
       {"t.yaml:2:7: kind: apps/v1 StatefulSet is not served: canaryd runs Deployments (apps/v1) "
        "and Pods as local processes, and routes to workloads it does not start through "
        "networking.istio.io WorkloadEntry resources; write a Deployment, or start the workload "
        "yourself and describe it with a WorkloadEntry"}},
      {"kind_wrong_version",
       kNone,
       R"(apiVersion: networking.istio.io/v2
kind: VirtualService
metadata: {name: vs}
spec: {}
)",
       {"t.yaml:2:7: kind: networking.istio.io/v2 VirtualService is not served: use apiVersion "
        "networking.istio.io/v1, networking.istio.io/v1beta1, networking.istio.io/v1alpha3"}},
      {"kind_sidecar",
       kNone,
       R"(apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default}
spec: {}
)",
       {"t.yaml:2:7: kind: networking.istio.io/v1 Sidecar is not served: canaryd is an ingress "
        "gateway, not a mesh sidecar; canaryd serves networking.istio.io Gateway, VirtualService, "
        "DestinationRule, ServiceEntry and WorkloadEntry (v1, v1beta1, v1alpha3), v1 Service, "
        "Namespace, ConfigMap, Secret, Event, Pod and Endpoints, apps/v1 Deployment and "
        "ReplicaSet, and canaryd.io/v1alpha1 Canary (and flagger.app/v1beta1 Canary)"}},
      {"fragment",
       kNone,
       R"(attempts: 2
retryOn: connect-failure
)",
       {"t.yaml:1:1: not a resource: a document needs apiVersion, kind, metadata and spec (this "
        "looks like a fragment of a spec, which cannot be applied on its own)"}},
      {"meta_namespace_on_namespace",
       kNone,
       R"(apiVersion: v1
kind: Namespace
metadata: {name: prod, namespace: default}
)",
       {"t.yaml:3:35: metadata.namespace: Namespace is not namespaced"}},
      // Istio's rules the CRD validation cases of Istio showed missing (issue "hardening").
      {"vs_mesh_wildcard_without_gateways",
       kVirtualService,
       R"(  hosts: ["*"]
  http:
  - route:
    - destination: {host: a}
)",
       {"t.yaml:5:11: spec.hosts[0]: wildcard host * is not allowed for virtual services bound to "
        "the mesh gateway (no gateways, or \"mesh\" among them): name the hosts, or bind the "
        "VirtualService to a Gateway"}},
      {"vs_mesh_wildcard_with_mesh_listed",
       kVirtualService,
       R"(  hosts: ["*"]
  gateways: [web-gateway, mesh]
  http:
  - route:
    - destination: {host: a}
)",
       {"t.yaml:5:11: spec.hosts[0]: wildcard host * is not allowed for virtual services bound to "
        "the mesh gateway (no gateways, or \"mesh\" among them): name the hosts, or bind the "
        "VirtualService to a Gateway"}},
      {"host_numeric_top_level_domain",
       kVirtualService,
       R"(  hosts: [web.123]
  gateways: [gw]
  http:
  - route:
    - destination: {host: a}
)",
       {"t.yaml:5:11: spec.hosts[0]: \"web.123\" is not a valid host: the top-level domain \"123\" "
        "cannot be all digits"}},
      {"se_cidr_with_dns_resolution",
       kServiceEntry,
       R"(  hosts: [db.example.com]
  addresses: [10.1.0.0/16]
  ports: [{number: 5432, name: tcp}]
  resolution: DNS
)",
       {"t.yaml:6:15: spec.addresses[0]: a CIDR block (\"10.1.0.0/16\") is only allowed with "
        "resolution NONE or STATIC, not DNS"}},
      {"se_dns_round_robin_two_endpoints",
       kServiceEntry,
       R"(  hosts: [api.example.com]
  ports: [{number: 80, name: http}]
  resolution: DNS_ROUND_ROBIN
  endpoints:
  - address: a.example.com
  - address: b.example.com
)",
       {"t.yaml:9:3: spec.endpoints: resolution DNS_ROUND_ROBIN allows at most one endpoint (its "
        "name resolves to the addresses to rotate over); use DNS for several"}},
      {"se_port_name_not_a_dns_label",
       kServiceEntry,
       R"(  hosts: [api.example.com]
  ports: [{number: 80, name: Web_Port}]
  resolution: DNS
)",
       {"t.yaml:6:30: spec.ports[0].name: invalid port name: \"Web_Port\" is not a valid DNS-1123 "
        "label: lower case alphanumeric characters or '-', starting and ending with an "
        "alphanumeric character"}},
      {"we_port_name_not_a_dns_label",
       kWorkloadEntry,
       R"(  address: 10.0.0.7
  ports: {"@": 8080}
)",
       {"t.yaml:6:11: spec.ports[@]: invalid port name: \"@\" is not a valid DNS-1123 label: lower "
        "case alphanumeric characters or '-', starting and ending with an alphanumeric character"}},
      {"we_unix_socket_relative",
       kWorkloadEntry,
       R"(  address: unix://run/app.sock
)",
       {"t.yaml:5:12: spec.address: \"unix://run/app.sock\": a unix domain socket must be an "
        "absolute path to a file (unix:///path) or an abstract name (unix://@name)"}},
      {"we_unix_socket_directory",
       kWorkloadEntry,
       R"(  address: unix:///run/app/
)",
       {"t.yaml:5:12: spec.address: \"unix:///run/app/\": a unix domain socket must be an absolute "
        "path to a file (unix:///path) or an abstract name (unix://@name)"}},
      {"we_unix_socket_with_ports",
       kWorkloadEntry,
       R"(  address: unix://@app
  ports: {http: 8080}
)",
       {"t.yaml:6:10: spec.ports: a unix domain socket endpoint cannot have ports"}},
      {"we_wildcard_address",
       kWorkloadEntry,
       R"(  address: "*.example.com"
)",
       {"t.yaml:5:12: spec.address: must be an IP address or a host name, not a wildcard"}},
      {"se_unix_socket_with_dns_resolution",
       kServiceEntry,
       R"(  hosts: [app.local]
  ports: [{number: 80, name: http}]
  resolution: DNS
  endpoints:
  - address: unix:///run/app.sock
)",
       {"t.yaml:9:14: spec.endpoints[0].address: resolution DNS needs IP addresses or host names; "
        "a unix domain socket needs resolution STATIC"}},
      {"se_unix_socket_with_two_ports",
       kServiceEntry,
       R"(  hosts: [app.local]
  ports: [{number: 80, name: http}, {number: 81, name: admin}]
  resolution: STATIC
  endpoints:
  - address: unix:///run/app.sock
)",
       {"t.yaml:9:14: spec.endpoints[0].address: a unix domain socket endpoint needs exactly one "
        "service port"}},
  };
  return kCases;
}

std::vector<std::string> ErrorsOf(const std::string& text) {
  LoadResult result;
  LoadText(text, "t.yaml", LoadOptions{}, result);
  std::vector<std::string> errors;
  for (const Diagnostic& d : result.diagnostics.items()) {
    if (d.severity == Severity::kError) errors.push_back(d.ToString());
  }
  EXPECT_TRUE(result.resources.empty()) << "an invalid document must not be loaded";
  return errors;
}

TEST(InvalidDocuments, EachIsRefusedWithItsExactErrors) {
  ASSERT_GE(Cases().size(), 60u);
  for (const InvalidCase& c : Cases()) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(ErrorsOf(std::string(c.header) + c.body), c.errors);
  }
}

TEST(InvalidDocuments, RegexLongerThan1024CharactersIsRefused) {
  std::string text = std::string(kVirtualService) + "  hosts: [web]\n  http:\n  - match:\n" +
                     "    - uri: {regex: \"" + std::string(1025, 'a') + "\"}\n    route:\n" +
                     "    - destination: {host: a}\n";
  EXPECT_EQ(ErrorsOf(text),
            std::vector<std::string>{"t.yaml:8:20: spec.http[0].match[0].uri.regex: regex is 1025 "
                                     "characters, more than the limit of 1024"});
  // 1024 is still fine.
  std::string ok = std::string(kVirtualService) + "  hosts: [web]\n  http:\n  - match:\n" +
                   "    - uri: {regex: \"" + std::string(1024, 'a') + "\"}\n    route:\n" +
                   "    - destination: {host: a}\n";
  LoadResult result;
  LoadText(ok, "t.yaml", LoadOptions{}, result);
  EXPECT_FALSE(result.diagnostics.has_errors()) << result.diagnostics.ToString();
}

TEST(InvalidDocuments, OneBadDocumentDoesNotHideTheOthers) {
  std::string text = std::string(kService) + "  ports:\n  - port: 80\n---\n" + kService +
                     "  ports:\n  - port: -1\n---\n" + kVirtualService +
                     "  hosts: [web]\n  http:\n  - route:\n    - destination: {host: web}\n";
  LoadResult result;
  LoadText(text, "multi.yaml", LoadOptions{}, result);
  EXPECT_EQ(result.documents, 3u);
  EXPECT_EQ(result.resources.size(), 2u);
  EXPECT_EQ(result.diagnostics.ToString(),
            "multi.yaml:13:11: spec.ports[0].port: port number -1 must be between 1 and 65535\n");
}

}  // namespace
}  // namespace canaryd::config

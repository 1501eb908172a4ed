#include "api/kube_api.h"

#include <algorithm>
#include <cstdlib>

#include "api/discovery.h"
#include "api/field_labels.h"
#include "api/json_node.h"
#include "api/object_util.h"
#include "api/patch.h"
#include "api/protobuf_body.h"
#include "api/table.h"
#include "api/watch.h"

namespace canaryd::api {
namespace {

constexpr const char* kAggregatedV2 =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
constexpr const char* kAggregatedV2Beta1 =
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

HttpResponse JsonResponse(int code, const json& body) {
  return HttpResponse::Json(code,
                            body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

HttpResponse ErrorResponse(const ApiError& e) {
  return JsonResponse(e.code, e.ToStatus());
}

struct Accept {
  bool table = false;
  bool json = false;       // plain JSON (or anything) is acceptable
  std::string aggregated;  // "v2" / "v2beta1" when aggregated discovery is asked for
};

Accept ParseAccept(const HttpRequest& req) {
  Accept a;
  const std::string* header = req.Header("accept");
  if (header == nullptr || Trim(*header).empty()) {
    a.json = true;
    return a;
  }
  std::string_view rest = *header;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    std::string type;
    std::string as, g, v;
    size_t start = 0;
    bool first = true;
    while (start <= item.size()) {
      size_t semi = item.find(';', start);
      std::string part = Trim(item.substr(
          start, semi == std::string_view::npos ? std::string_view::npos : semi - start));
      if (first) {
        type = part;
        first = false;
      } else if (size_t eq = part.find('='); eq != std::string::npos) {
        std::string key = Trim(part.substr(0, eq)), value = Trim(part.substr(eq + 1));
        if (key == "as") as = value;
        if (key == "g") g = value;
        if (key == "v") v = value;
      }
      if (semi == std::string_view::npos) break;
      start = semi + 1;
    }
    bool json_type = type == "application/json" || type == "*/*" || type == "application/*" ||
                     type == "application/yaml";
    if (!json_type) continue;
    if (as.empty()) {
      a.json = true;
    } else if (as == "Table" && g == "meta.k8s.io" && (v == "v1" || v == "v1beta1")) {
      a.table = true;
    } else if (as == "APIGroupDiscoveryList" && g == "apidiscovery.k8s.io" &&
               a.aggregated.empty() && (v == "v2" || v == "v2beta1")) {
      a.aggregated = v;
    }
  }
  return a;
}

std::string WarningValue(const std::string& text) {
  std::string out = "299 - \"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n' || c == '\r' || c == '\t') {
      out += ' ';
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

HttpResponse WriteResponse(int code, const WriteOutcome& out) {
  HttpResponse r = JsonResponse(code, out.object);
  for (const std::string& w : out.warnings) r.headers.push_back({"Warning", WarningValue(w)});
  return r;
}

std::string FieldManager(const HttpRequest& req) {
  std::string m = req.QueryOr("fieldManager", "");
  if (!m.empty()) return m;
  const std::string* ua = req.Header("user-agent");
  if (ua != nullptr) {
    std::string prefix = ua->substr(0, ua->find('/'));
    if (!prefix.empty()) return prefix;
  }
  return "unknown";
}

bool QueryBool(const HttpRequest& req, const char* name) {
  std::string v = req.QueryOr(name, "");
  return v == "1" || v == "true" || v == "True";
}

// dryRun=All, or an error for another value.
bool DryRun(const HttpRequest& req, ApiError* error) {
  bool dry = false;
  for (const auto& [k, v] : req.query) {
    if (k != "dryRun") continue;
    if (v == "All") {
      dry = true;
    } else if (!v.empty()) {
      *error = BadRequestError("Invalid dry run value \"" + v + "\": supported values are All");
      return false;
    }
  }
  error->code = 0;
  return dry;
}

// The media types of object bodies (create, replace) as kube-apiserver serves them; of protobuf,
// canaryd reads the kinds protobuf_body.h decodes.
constexpr const char* kObjectMediaTypes =
    "application/json, application/yaml, application/vnd.kubernetes.protobuf";
// DeleteOptions bodies.
constexpr const char* kDeleteMediaTypes = "application/json, application/yaml";

ApiError UnknownFormat(const char* accepted) {
  // kube-apiserver's words. Besides correctness this is what refuses cross-site writes: a browser
  // sends text/plain, form and multipart bodies (or none typed at all) to any site without a CORS
  // preflight, and none of those is served here.
  return UnsupportedMediaTypeError(
      std::string("the body of the request was in an unknown format - accepted media types "
                  "include: ") +
      accepted);
}

// The body of a create or replace, by its Content-Type.
std::optional<json> ParseBody(const HttpRequest& req, ApiError* error) {
  if (req.body.empty()) {
    *error = BadRequestError("the request needs a body");
    return std::nullopt;
  }
  const std::string* ct = req.Header("content-type");
  std::string type = ct != nullptr ? MediaType(*ct) : "";
  std::string message;
  std::optional<json> body;
  if (type == "application/json") {
    body = ParseJson(req.body, &message);
  } else if (type == "application/yaml") {
    body = ParseYamlOrJson(req.body, &message);
  } else if (type == "application/vnd.kubernetes.protobuf") {
    // Typed clients send protobuf (kubectl create namespace|service|configmap|secret, auth
    // can-i): decoded for the kinds canaryd serves, refused for anything else.
    Result<json> obj = DecodeProtobufBody(req.body);
    if (obj.ok()) return std::move(*obj);
    *error = obj.status().code() == StatusCode::kNotFound
                 ? UnknownFormat("application/json, application/yaml")
                 : UnsupportedMediaTypeError(obj.status().message());
    return std::nullopt;
  } else {
    *error = UnknownFormat(kObjectMediaTypes);
    return std::nullopt;
  }
  if (!body) *error = BadRequestError("the request body is not valid: " + message);
  return body;
}

// A DeleteOptions body, when there is one: nullopt with *error set when it cannot be read.
std::optional<json> ParseDeleteOptions(const HttpRequest& req, ApiError* error) {
  error->code = 0;
  if (req.body.empty()) return json::object();
  const std::string* ct = req.Header("content-type");
  std::string type = ct != nullptr ? MediaType(*ct) : "";
  std::string message;
  std::optional<json> body;
  if (type == "application/json") {
    body = ParseJson(req.body, &message);
  } else if (type == "application/yaml") {
    body = ParseYamlOrJson(req.body, &message);
  } else {
    *error = UnknownFormat(kDeleteMediaTypes);
    return std::nullopt;
  }
  if (!body || !body->is_object()) {
    *error = BadRequestError("invalid DeleteOptions: " +
                             (body ? std::string("not an object") : message));
    return std::nullopt;
  }
  return body;
}

IncludeObject ParseInclude(const HttpRequest& req) {
  std::string v = req.QueryOr("includeObject", "");
  if (v == "None") return IncludeObject::kNone;
  if (v == "Object") return IncludeObject::kObject;
  return IncludeObject::kMetadata;
}

const config::KindInfo* FindByPlural(const std::string& group, const std::string& plural) {
  for (const config::KindInfo& k : config::AllKinds()) {
    if (k.group == group && k.plural == plural) return &k;
  }
  return nullptr;
}

}  // namespace

KubeApi::KubeApi(ObjectService& service, std::string server_address, AccessPolicy access)
    : service_(service), server_address_(std::move(server_address)), access_(access) {}

void KubeApi::SetReadinessCheck(std::function<std::string()> check) {
  std::lock_guard<std::mutex> lock(readiness_mu_);
  readiness_check_ = std::move(check);
}

void KubeApi::Register(Router& router) {
  Handler h = [this](const HttpRequest& req) { return Handle(req); };
  for (const char* prefix : {"/api", "/apis", "/version", "/openapi"}) router.Handle(prefix, h);
  RouteOptions health;
  health.public_access = true;
  health.exact = true;
  for (const char* prefix : {"/healthz", "/readyz", "/livez"}) router.Handle(prefix, h, health);
}

HttpResponse KubeApi::Handle(const HttpRequest& req) {
  const std::string& p = req.path;
  if (p == "/healthz" || p == "/livez") return HttpResponse::Text(200, "ok");
  if (p == "/readyz") {
    if (!ready_) return HttpResponse::Text(503, "not ready");
    std::string reason;
    {
      std::lock_guard<std::mutex> lock(readiness_mu_);
      if (readiness_check_) reason = readiness_check_();
    }
    return reason.empty() ? HttpResponse::Text(200, "ok")
                          : HttpResponse::Text(503, "not ready: " + reason + "\n");
  }
  if (req.method != "GET" && req.method != "HEAD" &&
      (p == "/version" || p.rfind("/openapi", 0) == 0)) {
    return ErrorResponse(MethodNotAllowedError("the server does not allow this method"));
  }
  if (p == "/version" || p == "/version/") return JsonResponse(200, VersionInfo());
  if (p.rfind("/openapi", 0) == 0) return HandleOpenApi(req);

  std::vector<std::string> segs = SplitPath(p);
  if (segs.empty()) return ErrorResponse(GenericNotFound());
  Accept accept = ParseAccept(req);
  auto discovery = [&](bool core) -> HttpResponse {
    if (req.method != "GET" && req.method != "HEAD") {
      return ErrorResponse(MethodNotAllowedError("the server does not allow this method"));
    }
    if (!accept.aggregated.empty()) {
      return HttpResponse::Json(200,
                                AggregatedDiscovery(core, accept.aggregated)
                                    .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                                accept.aggregated == "v2" ? kAggregatedV2 : kAggregatedV2Beta1);
    }
    return JsonResponse(200, core ? CoreApiVersions(server_address_) : GroupList());
  };
  if (segs[0] == "api") {
    if (segs.size() == 1) return discovery(true);
    return HandleApi(req, "", std::vector<std::string>(segs.begin() + 1, segs.end()));
  }
  if (segs[0] == "apis") {
    if (segs.size() == 1) return discovery(false);
    if (segs.size() == 2) {
      json g = GroupInfo(segs[1]);
      if (g.is_null()) return ErrorResponse(GenericNotFound());
      return JsonResponse(200, g);
    }
    return HandleApi(req, segs[1], std::vector<std::string>(segs.begin() + 2, segs.end()));
  }
  return ErrorResponse(GenericNotFound());
}

HttpResponse KubeApi::HandleOpenApi(const HttpRequest& req) {
  const std::string& p = req.path;
  if (p == "/openapi/v3" || p == "/openapi/v3/") {
    return HttpResponse::Json(200, openapi_.Index());
  }
  if (p == "/openapi/v2") {
    // A valid, empty OpenAPI v2 document. kubectl validates on the client only kinds whose
    // server does not validate; every kind canaryd lists advertises server-side validation in
    // v3, so kubectl never needs a v2 schema, but it downloads the document all the same.
    const std::string* accept = req.Header("accept");
    if (accept != nullptr && accept->find("protobuf") != std::string::npos) {
      // gnostic's openapi_v2.Document: swagger (1) = "2.0", info (2) = {title (1), version (2)}.
      static const std::string kDoc = [] {
        std::string info =
            std::string("\x0a\x07", 2) + "canaryd" + std::string("\x12\x07", 2) + "v1.32.0";
        return std::string("\x0a\x03", 2) + "2.0" + std::string("\x12", 1) +
               static_cast<char>(info.size()) + info;
      }();
      return HttpResponse::Json(200, kDoc,
                                "application/com.github.proto-openapi.spec.v2.v1.0+protobuf");
    }
    return HttpResponse::Json(
        200, R"({"swagger":"2.0","info":{"title":"canaryd","version":"v1.32.0"},"paths":{}})");
  }
  const std::string prefix = "/openapi/v3/";
  if (p.rfind(prefix, 0) == 0) {
    std::string key = p.substr(prefix.size());
    if (const std::string* doc = openapi_.Document(key)) {
      HttpResponse r = HttpResponse::Json(200, *doc);
      std::string hash = openapi_.Hash(key);
      r.SetHeader("Etag", "\"" + hash + "\"");
      if (req.QueryOr("hash", "") == hash) {
        r.SetHeader("Cache-Control", "public, immutable");
        r.SetHeader("Expires", "Thu, 01 Jan 2099 00:00:00 GMT");
      }
      return r;
    }
  }
  return ErrorResponse(GenericNotFound());
}

HttpResponse KubeApi::HandleApi(const HttpRequest& req, const std::string& group,
                                const std::vector<std::string>& rest) {
  const std::string& version = rest[0];
  auto versions = config::GroupVersions(group);
  if ((!group.empty() && GroupInfo(group).is_null()) ||
      std::find(versions.begin(), versions.end(), version) == versions.end()) {
    return ErrorResponse(GenericNotFound());
  }
  if (rest.size() == 1) {
    if (req.method != "GET" && req.method != "HEAD") {
      return ErrorResponse(MethodNotAllowedError("the server does not allow this method"));
    }
    return JsonResponse(200, ResourceList(group, version));
  }
  std::vector<std::string> r(rest.begin() + 1, rest.end());
  bool watch_path = false;
  if (r[0] == "watch") {
    watch_path = true;
    r.erase(r.begin());
    if (r.empty()) return ErrorResponse(GenericNotFound());
  }
  std::string ns, plural, name, sub;
  bool ns_path = false;
  if (r[0] == "namespaces" && (r.size() >= 3 || !group.empty())) {
    if (r.size() == 3 && group.empty() && FindByPlural(group, r[2]) == nullptr) {
      plural = "namespaces";  // a namespace's own subresource: /namespaces/x/status
      name = r[1];
      sub = r[2];
    } else {
      if (r.size() < 3 || r.size() > 5) return ErrorResponse(GenericNotFound());
      ns_path = true;
      ns = r[1];
      plural = r[2];
      if (r.size() >= 4) name = r[3];
      if (r.size() == 5) sub = r[4];
    }
  } else {
    if (r.size() > 3) return ErrorResponse(GenericNotFound());
    plural = r[0];
    if (r.size() >= 2) name = r[1];
    if (r.size() == 3) sub = r[2];
  }
  const config::KindInfo* kind = FindByPlural(group, plural);
  if (kind == nullptr) return ErrorResponse(GenericNotFound());
  if (!kind->namespaced && ns_path) return ErrorResponse(GenericNotFound());
  if (kind->namespaced && !ns_path && !name.empty()) return ErrorResponse(GenericNotFound());
  const bool status_path = sub == "status";
  const bool scale_path = sub == "scale" && (kind->kind == config::Kind::kDeployment ||
                                             kind->kind == config::Kind::kReplicaSet);
  const bool log_path = sub == "log" && kind->kind == config::Kind::kPod;
  if (!sub.empty() && !status_path && !scale_path && !log_path) {
    return ErrorResponse(GenericNotFound());
  }
  if (status_path) {
    // Refused kinds keep the path, to refuse its writes with their reason.
    if (kind->serving != config::Serving::kRefused && !config::HasStatusSubresource(*kind)) {
      return ErrorResponse(GenericNotFound());
    }
    if (req.method != "GET" && req.method != "HEAD" && req.method != "PUT" &&
        req.method != "PATCH") {
      return ErrorResponse(
          MethodNotAllowedError("the server does not allow this method on the "
                                "requested resource: " +
                                QualifiedResource(*kind) + "/status"));
    }
  }
  if (kind->serving == config::Serving::kReview) {
    return HandleReview(req, *kind, name.empty() && !watch_path);
  }
  if (kind->serving == config::Serving::kRefused &&
      (req.method == "POST" || req.method == "PUT" || req.method == "PATCH")) {
    // Refused whatever the body holds (kubectl create deployment sends protobuf): with the
    // object's name when the body says it.
    std::string named = name;
    ApiError ignored;
    if (named.empty() && req.method == "POST") {
      const std::string* ct = req.Header("content-type");
      if (ct == nullptr || ct->find("protobuf") == std::string::npos) {
        if (std::optional<json> body = ParseBody(req, &ignored)) named = MetaString(*body, "name");
      }
    }
    return ErrorResponse(NotServedError(*kind, named));
  }

  Accept accept = ParseAccept(req);
  if (!accept.json && !accept.table) {
    return ErrorResponse(NotAcceptableError(
        "only the following media types are accepted: application/json, application/yaml, "
        "application/json;as=Table;v=v1;g=meta.k8s.io"));
  }

  Target t{kind, version, ns, name};
  const std::string& method = req.method;
  ApiError error;
  bool dry_run = DryRun(req, &error);
  if (error.code != 0) return ErrorResponse(error);
  WriteOptions options;
  options.dry_run = dry_run;
  options.field_manager = FieldManager(req);
  options.force = QueryBool(req, "force");
  const int64_t now = service_.clock().WallNanos();

  auto selectors = [&](LabelSelector* labels, FieldSelector* fields) -> std::optional<ApiError> {
    Result<LabelSelector> l = LabelSelector::Parse(req.QueryOr("labelSelector", ""));
    if (!l.ok()) return BadRequestError(l.status().message());
    Result<FieldSelector> f =
        FieldSelector::Parse(req.QueryOr("fieldSelector", ""), FieldLabelsOf(kind->kind));
    if (!f.ok()) return BadRequestError(f.status().message());
    *labels = std::move(*l);
    *fields = std::move(*f);
    return std::nullopt;
  };

  if (name.empty()) {
    if (method == "GET" || method == "HEAD") {
      LabelSelector labels;
      FieldSelector fields;
      if (auto e = selectors(&labels, &fields)) return ErrorResponse(*e);
      if (watch_path || QueryBool(req, "watch")) {
        WatchRequest w;
        w.target = t;
        w.resource_version = req.QueryOr("resourceVersion", "");
        w.labels = std::move(labels);
        w.fields = std::move(fields);
        w.as_table = accept.table;
        w.include = ParseInclude(req);
        w.timeout_seconds = std::atoll(req.QueryOr("timeoutSeconds", "0").c_str());
        return StartWatch(service_, std::move(w));
      }
      if (accept.table) {
        ApiResult<ListOutcome> list = service_.ListForTable(t, labels, fields);
        if (!list.ok()) return ErrorResponse(list.error());
        HttpResponse r = HttpResponse::Json(
            200, MakeTableText(*kind, list->items, std::to_string(list->revision), now,
                               ParseInclude(req)));
        if (kind->serving == config::Serving::kRefused) {
          // Said to whoever looks at the table (kubectl get pods); programs that list (kubectl
          // apply --prune, informers) get the empty list alone.
          r.headers.push_back(
              {"Warning", WarningValue(QualifiedResource(*kind) +
                                       " are not served: " + config::UnservedReason(*kind))});
        }
        return r;
      }
      ApiResult<std::string> text = service_.ListText(t, labels, fields);
      if (!text.ok()) return ErrorResponse(text.error());
      return HttpResponse::Json(200, std::move(*text));
    }
    if (method == "POST") {
      if (kind->namespaced && !ns_path) {
        return ErrorResponse(MethodNotAllowedError("create needs a namespace in the path"));
      }
      std::optional<json> body = ParseBody(req, &error);
      if (!body) return ErrorResponse(error);
      ApiResult<WriteOutcome> out = service_.Create(t, std::move(*body), options);
      if (!out.ok()) return ErrorResponse(out.error());
      return WriteResponse(201, *out);
    }
    if (method == "DELETE") {
      if (kind->kind == config::Kind::kNamespace) {
        return ErrorResponse(
            MethodNotAllowedError("deletecollection is not served for namespaces"));
      }
      // The body's options are not used, but a body is read only in a format that is served.
      if (!ParseDeleteOptions(req, &error)) return ErrorResponse(error);
      LabelSelector labels;
      FieldSelector fields;
      if (auto e = selectors(&labels, &fields)) return ErrorResponse(*e);
      ApiResult<ListOutcome> out = service_.DeleteCollection(t, labels, fields, dry_run);
      if (!out.ok()) return ErrorResponse(out.error());
      json list = {{"apiVersion", t.ApiVersion()},
                   {"kind", std::string(kind->name) + "List"},
                   {"metadata", {{"resourceVersion", std::to_string(out->revision)}}},
                   {"items", std::move(out->items)}};
      return JsonResponse(200, list);
    }
    return ErrorResponse(MethodNotAllowedError("the server does not allow this method"));
  }

  if (scale_path) return HandleScale(req, t, options);
  if (log_path) return HandleLog(req, t);
  if (method == "GET" || method == "HEAD") {
    if (watch_path || QueryBool(req, "watch")) {
      return ErrorResponse(BadRequestError("watch a collection, with a fieldSelector on the name"));
    }
    ApiResult<json> obj = service_.Get(t);
    if (!obj.ok()) return ErrorResponse(obj.error());
    if (accept.table) {
      std::string rv = MetaString(*obj, "resourceVersion");
      return JsonResponse(200, MakeTable(*kind, {*obj}, rv, now, ParseInclude(req)));
    }
    return JsonResponse(200, *obj);
  }
  if (method == "PUT") {
    std::optional<json> body = ParseBody(req, &error);
    if (!body) return ErrorResponse(error);
    ApiResult<WriteOutcome> out = status_path ? service_.UpdateStatus(t, std::move(*body), options)
                                              : service_.Replace(t, std::move(*body), options);
    if (!out.ok()) return ErrorResponse(out.error());
    return WriteResponse(200, *out);
  }
  if (method == "PATCH") {
    const std::string* ct = req.Header("content-type");
    PatchType type;
    if (ct == nullptr || !PatchTypeFromContentType(*ct, &type)) {
      return ErrorResponse(
          UnknownFormat("application/json-patch+json, application/merge-patch+json, "
                        "application/apply-patch+yaml, application/strategic-merge-patch+json"));
    }
    if (type == PatchType::kApply && req.QueryOr("fieldManager", "").empty()) {
      return ErrorResponse(BadRequestError("fieldManager is required for apply requests"));
    }
    ApiResult<WriteOutcome> out = status_path ? service_.PatchStatus(t, type, req.body, options)
                                              : service_.Patch(t, type, req.body, options);
    if (!out.ok()) return ErrorResponse(out.error());
    return WriteResponse(out->created ? 201 : 200, *out);
  }
  if (method == "DELETE") {
    DeleteOptions del;
    del.dry_run = dry_run;
    std::optional<json> body = ParseDeleteOptions(req, &error);
    if (!body) return ErrorResponse(error);
    if (auto pre = body->find("preconditions"); pre != body->end() && pre->is_object()) {
      if (pre->contains("uid") && (*pre)["uid"].is_string()) del.uid = (*pre)["uid"];
      if (pre->contains("resourceVersion") && (*pre)["resourceVersion"].is_string()) {
        del.resource_version = (*pre)["resourceVersion"];
      }
    }
    if (auto dr = body->find("dryRun"); dr != body->end() && dr->is_array()) {
      for (const json& v : *dr) del.dry_run |= v == "All";
    }
    if (auto g = body->find("gracePeriodSeconds"); g != body->end() && g->is_number_integer()) {
      del.grace_period_seconds = std::max<int64_t>(0, g->get<int64_t>());
    }
    if (std::string g = req.QueryOr("gracePeriodSeconds", ""); !g.empty()) {
      char* end = nullptr;
      long long n = std::strtoll(g.c_str(), &end, 10);
      if (end == g.c_str() || *end != '\0') {
        return ErrorResponse(BadRequestError("gracePeriodSeconds must be an integer"));
      }
      del.grace_period_seconds = std::max<long long>(0, n);
    }
    ApiResult<WriteOutcome> out = service_.Delete(t, del);
    if (!out.ok()) return ErrorResponse(out.error());
    return WriteResponse(200, *out);
  }
  return ErrorResponse(MethodNotAllowedError("the server does not allow this method"));
}

namespace {

// autoscaling/v1 Scale of a Deployment or ReplicaSet, as kube-apiserver shows it.
json ScaleOf(const json& obj) {
  const json& meta = obj.value("metadata", json::object());
  json scale_meta = json::object();
  for (const char* k : {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"}) {
    if (meta.contains(k)) scale_meta[k] = meta[k];
  }
  const json& spec = obj.value("spec", json::object());
  const json& status = obj.value("status", json::object());
  std::string selector;
  if (auto ml = spec.find("selector"); ml != spec.end() && ml->is_object()) {
    if (auto labels = ml->find("matchLabels"); labels != ml->end() && labels->is_object()) {
      for (auto it = labels->begin(); it != labels->end(); ++it) {
        if (!selector.empty()) selector += ",";
        selector += it.key() + "=" + (it->is_string() ? it->get<std::string>() : "");
      }
    }
  }
  return {{"kind", "Scale"},
          {"apiVersion", "autoscaling/v1"},
          {"metadata", scale_meta},
          {"spec", {{"replicas", spec.value("replicas", 1)}}},
          {"status", {{"replicas", status.value("replicas", 0)}, {"selector", selector}}}};
}

}  // namespace

HttpResponse KubeApi::HandleScale(const HttpRequest& req, const Target& t,
                                  const WriteOptions& options) {
  ApiResult<json> obj = service_.Get(t);
  if (!obj.ok()) return ErrorResponse(obj.error());
  json scale = ScaleOf(*obj);
  if (req.method == "GET" || req.method == "HEAD") return JsonResponse(200, scale);
  if (req.method != "PUT" && req.method != "PATCH") {
    return ErrorResponse(
        MethodNotAllowedError("the server does not allow this method on the "
                              "requested resource: " +
                              QualifiedResource(*t.kind) + "/scale"));
  }
  ApiError error;
  json wanted;
  if (req.method == "PUT") {
    std::optional<json> body = ParseBody(req, &error);
    if (!body) return ErrorResponse(error);
    wanted = std::move(*body);
  } else {
    const std::string* ct = req.Header("content-type");
    PatchType type;
    if (ct == nullptr || !PatchTypeFromContentType(*ct, &type) || type == PatchType::kApply) {
      return ErrorResponse(
          UnknownFormat("application/json-patch+json, "
                        "application/merge-patch+json, "
                        "application/strategic-merge-patch+json"));
    }
    std::string parse_error;
    std::optional<json> patch = ParseJson(req.body, &parse_error);
    if (!patch) return ErrorResponse(BadRequestError(parse_error));
    ApiResult<json> patched = type == PatchType::kJson
                                  ? ApplyJsonPatch(scale, *patch, *t.kind, t.name)
                                  : ApplyMergePatch(scale, *patch);
    if (!patched.ok()) return ErrorResponse(patched.error());
    wanted = std::move(*patched);
  }
  const json& replicas =
      wanted.is_object() ? wanted.value("spec", json::object()).value("replicas", json()) : json();
  if (!replicas.is_number_integer() || replicas.get<int64_t>() < 0) {
    return ErrorResponse(
        InvalidError(*t.kind, t.name,
                     {{"FieldValueInvalid", "Invalid value: must be greater than or equal to 0",
                       "spec.replicas"}}));
  }
  std::string rv = wanted.value("metadata", json::object()).value("resourceVersion", "");
  json desired = *obj;
  desired["spec"]["replicas"] = replicas;
  if (!rv.empty()) desired["metadata"]["resourceVersion"] = rv;
  ApiResult<WriteOutcome> out = service_.Replace(t, std::move(desired), options);
  if (!out.ok()) return ErrorResponse(out.error());
  return JsonResponse(200, ScaleOf(out->object));
}

HttpResponse KubeApi::HandleLog(const HttpRequest& req, const Target& t) {
  if (req.method != "GET" && req.method != "HEAD") {
    return ErrorResponse(
        MethodNotAllowedError("the server does not allow this method on the "
                              "requested resource: pods/log"));
  }
  ApiResult<json> obj = service_.Get(t);
  if (!obj.ok()) return ErrorResponse(obj.error());
  if (logs_ == nullptr) {
    return ErrorResponse(BadRequestError("this canaryd runs no workloads, so it keeps no logs"));
  }
  PodLogRequest r;
  r.ns = t.ns;
  r.pod = t.name;
  r.container = req.QueryOr("container", "");
  r.follow = QueryBool(req, "follow");
  r.previous = QueryBool(req, "previous");
  auto number = [&](const char* key, std::optional<int64_t>* out) -> bool {
    std::string v = req.QueryOr(key, "");
    if (v.empty()) return true;
    char* end = nullptr;
    long long n = std::strtoll(v.c_str(), &end, 10);
    if (end == v.c_str() || *end != '\0' || n < 0) return false;
    *out = n;
    return true;
  };
  if (!number("tailLines", &r.tail_lines) || !number("limitBytes", &r.limit_bytes)) {
    return ErrorResponse(BadRequestError("tailLines and limitBytes must be non-negative integers"));
  }
  ApiResult<HttpResponse> out = logs_->Logs(r);
  if (!out.ok()) return ErrorResponse(out.error());
  return std::move(*out);
}

HttpResponse KubeApi::HandleReview(const HttpRequest& req, const config::KindInfo& kind,
                                   bool collection) {
  if (req.method != "POST" || !collection) {
    return ErrorResponse(
        MethodNotAllowedError("the server does not allow this method on the "
                              "requested resource: " +
                              QualifiedResource(kind) + " are only created"));
  }
  ApiError error;
  std::optional<json> body = ParseBody(req, &error);
  if (!body) return ErrorResponse(error);
  if (auto k = body->find("kind"); k != body->end() && *k != kind.name) {
    return ErrorResponse(BadRequestError(
        "the kind in the data (" +
        (k->is_string() ? k->get<std::string>()
                        : k->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)) +
        ") does not match the expected kind (" + std::string(kind.name) + ")"));
  }
  ApiResult<json> out = kind.kind == config::Kind::kSelfSubjectAccessReview
                            ? ReviewAccess(*body, access_, service_)
                            : ReviewRules(*body, access_, service_);
  if (!out.ok()) return ErrorResponse(out.error());
  return JsonResponse(201, *out);
}

}  // namespace canaryd::api

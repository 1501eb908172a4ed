#include "api/kind_rules.h"

#include "api/object_util.h"
#include "common/base64.h"
#include "config/canary_types.h"
#include "config/duration.h"

namespace canaryd::api {
namespace {

const json& Member(const json& obj, const char* key) {
  static const json kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(key);
  return it == obj.end() ? kNull : *it;
}

bool Immutable(const json& obj) {
  const json& v = Member(obj, "immutable");
  return v.is_boolean() && v.get<bool>();
}

// An empty map and an absent one are the same data.
json MapOrEmpty(const json& v) {
  return v.is_object() ? v : json::object();
}

ApiError Invalid(const config::KindInfo& kind, const json& obj, std::vector<ApiCause> causes) {
  return InvalidError(kind, MetaString(obj, "name"), std::move(causes));
}

// Canary: every default that cannot conflict with a later edit is written, so that
// `kubectl get canary -o yaml` shows what the controller uses. Not stepWeight and maxWeight
// (writing them would make a later stepWeights conflict with them; the controller shows its
// step weights in status.stepWeights) and not a metric's interval (it follows
// analysis.interval). With Flagger's model (targetRef, or Flagger's shape), not iterations
// either: in Flagger, setting it selects Blue/Green, so Flagger's view must not show it.
void ApplyCanaryDefaults(json& obj, bool flagger) {
  namespace d = config::canary_defaults;
  json& spec = obj["spec"];
  if (!spec.is_object()) return;  // validation reports it
  auto set = [](json& o, const char* key, json value) {
    if (!o.contains(key) || o[key].is_null()) o[key] = std::move(value);
  };
  set(spec, "suspend", false);
  set(spec, "skipAnalysis", false);
  set(spec, "progressDeadlineSeconds", d::kProgressDeadlineSeconds);
  json& a = spec["analysis"];
  if (!a.is_object()) a = json::object();
  set(a, "interval", config::FormatDuration(d::kIntervalNanos));
  set(a, "threshold", d::kThreshold);
  set(a, "stepWeightPromotion", d::kStepWeightPromotion);
  if (!flagger && !spec.contains("targetRef")) set(a, "iterations", d::kIterations);
  set(a, "minRequests", d::kMinRequests);
  set(a, "providerErrorLimit", d::kProviderErrorLimit);
  json& seq = a["sequential"];
  if (!seq.is_object()) seq = json::object();
  set(seq, "enabled", true);
  set(seq, "alpha", d::kAlpha);
  set(a, "metrics",
      json::array(
          {{{"name", config::kSuccessRateMetric},
            {"thresholdRange", {{"min", d::kSuccessRateMin}}}},
           {{"name", config::kDurationMetric}, {"thresholdRange", {{"max", d::kDurationMaxMs}}}}}));
  if (a["metrics"].is_array()) {
    for (json& m : a["metrics"]) {
      if (!m.is_object()) continue;
      set(m, "critical", false);
      if (m.value("name", "") == config::kDurationMetric) set(m, "quantile", d::kQuantile);
    }
  }
  if (auto w = a.find("webhooks"); w != a.end() && w->is_array()) {
    for (json& hook : *w) {
      if (!hook.is_object()) continue;
      set(hook, "type", "rollout");
      set(hook, "timeout", config::FormatDuration(d::kWebhookTimeoutNanos));
    }
  }
}

// Kubernetes' defaults of a Pod spec (pkg/apis/core/v1/defaults.go), those canaryd serves.
void ApplyPodSpecDefaults(json& spec) {
  if (!spec.is_object()) return;
  auto set = [](json& o, const char* key, json value) {
    if (o.is_object() && !o.contains(key)) o[key] = std::move(value);
  };
  set(spec, "restartPolicy", "Always");
  set(spec, "terminationGracePeriodSeconds", 30);
  if (auto cs = spec.find("containers"); cs != spec.end() && cs->is_array()) {
    for (json& c : *cs) {
      if (!c.is_object()) continue;
      if (!c.contains("imagePullPolicy") && c.contains("image") && c["image"].is_string()) {
        // Always for :latest or no tag, IfNotPresent otherwise, as Kubernetes defaults it.
        std::string image = c["image"].get<std::string>();
        size_t slash = image.rfind('/');
        size_t colon = image.rfind(':');
        bool tagged = colon != std::string::npos && (slash == std::string::npos || colon > slash);
        bool latest = !tagged || image.substr(colon + 1) == "latest";
        c["imagePullPolicy"] =
            latest && image.find('@') == std::string::npos ? "Always" : "IfNotPresent";
      }
      if (auto ports = c.find("ports"); ports != c.end() && ports->is_array()) {
        for (json& p : *ports) set(p, "protocol", "TCP");
      }
      for (const char* probe : {"readinessProbe", "livenessProbe", "startupProbe"}) {
        auto p = c.find(probe);
        if (p == c.end() || !p->is_object()) continue;
        set(*p, "timeoutSeconds", 1);
        set(*p, "periodSeconds", 10);
        set(*p, "successThreshold", 1);
        set(*p, "failureThreshold", 3);
        if (auto g = p->find("httpGet"); g != p->end() && g->is_object()) {
          set(*g, "path", "/");
          set(*g, "scheme", "HTTP");
        }
      }
    }
  }
}

void ApplyWorkloadDefaults(config::Kind kind, json& obj) {
  auto set = [](json& o, const char* key, json value) {
    if (o.is_object() && !o.contains(key)) o[key] = std::move(value);
  };
  json& spec = obj["spec"];
  if (!spec.is_object()) return;
  if (kind == config::Kind::kPod) {
    ApplyPodSpecDefaults(spec);
    return;
  }
  set(spec, "replicas", 1);
  if (kind == config::Kind::kDeployment) {
    set(spec, "revisionHistoryLimit", 10);
    set(spec, "progressDeadlineSeconds", 600);
    set(spec, "strategy", json::object());
    json& st = spec["strategy"];
    set(st, "type", "RollingUpdate");
    if (st.is_object() && st["type"] == "RollingUpdate") {
      set(st, "rollingUpdate", json::object());
      set(st["rollingUpdate"], "maxSurge", "25%");
      set(st["rollingUpdate"], "maxUnavailable", "25%");
    }
  }
  if (auto t = spec.find("template"); t != spec.end() && t->is_object()) {
    if (auto ps = t->find("spec"); ps != t->end()) ApplyPodSpecDefaults(*ps);
  }
}

}  // namespace

void ApplyDefaults(config::Kind kind, json& obj) {
  if (kind == config::Kind::kCanary || kind == config::Kind::kFlaggerCanary) {
    ApplyCanaryDefaults(obj, kind == config::Kind::kFlaggerCanary);
    return;
  }
  if (kind == config::Kind::kDeployment || kind == config::Kind::kReplicaSet ||
      kind == config::Kind::kPod) {
    ApplyWorkloadDefaults(kind, obj);
    return;
  }
  if (kind == config::Kind::kService) {
    json& spec = obj["spec"];
    if (!spec.is_object()) spec = json::object();
    if (!spec.contains("type")) spec["type"] = "ClusterIP";
    if (!spec.contains("sessionAffinity")) spec["sessionAffinity"] = "None";
    if (auto ports = spec.find("ports"); ports != spec.end() && ports->is_array()) {
      for (json& p : *ports) {
        if (!p.is_object()) continue;
        if (!p.contains("protocol")) p["protocol"] = "TCP";
        if (!p.contains("targetPort") && p.contains("port")) p["targetPort"] = p["port"];
      }
    }
    if (!obj.contains("status")) obj["status"] = {{"loadBalancer", json::object()}};
  } else if (kind == config::Kind::kNamespace) {
    json& spec = obj["spec"];
    if (!spec.is_object()) spec = json::object();
    if (!spec.contains("finalizers")) spec["finalizers"] = json::array({"kubernetes"});
    json& status = obj["status"];
    if (status.is_null()) status = json::object();
    if (status.is_object() && !status.contains("phase")) status["phase"] = "Active";
  } else if (kind == config::Kind::kSecret) {
    if (!obj.contains("type") || obj["type"] == "") obj["type"] = "Opaque";
    // stringData is write-only: Kubernetes merges it into data (it wins) and never stores it.
    if (auto sd = obj.find("stringData"); sd != obj.end()) {
      if (sd->is_object()) {
        json& data = obj["data"];
        if (!data.is_object()) data = json::object();
        for (auto it = sd->begin(); it != sd->end(); ++it) {
          if (it->is_string()) data[it.key()] = Base64Encode(it->get<std::string>());
        }
        obj.erase("stringData");
      } else if (sd->is_null()) {
        obj.erase("stringData");
      }
    }
  }
}

std::optional<ApiError> CheckUpdate(const config::KindInfo& kind, const json& obj,
                                    const json& existing) {
  if (kind.kind != config::Kind::kConfigMap && kind.kind != config::Kind::kSecret) {
    return std::nullopt;
  }
  std::vector<ApiCause> causes;
  if (kind.kind == config::Kind::kSecret && Member(obj, "type") != Member(existing, "type")) {
    const json& type = Member(obj, "type");
    causes.push_back(
        {"FieldValueInvalid",
         "Invalid value: " + (type.is_string() ? "\"" + type.get<std::string>() + "\"" : "null") +
             ": field is immutable",
         "type"});
  }
  if (Immutable(existing)) {
    std::vector<const char*> fields = {"data"};
    if (kind.kind == config::Kind::kConfigMap) fields.push_back("binaryData");
    for (const char* f : fields) {
      if (MapOrEmpty(Member(obj, f)) != MapOrEmpty(Member(existing, f))) {
        causes.push_back(
            {"FieldValueForbidden", "Forbidden: field is immutable when `immutable` is set", f});
      }
    }
    if (!Immutable(obj)) {
      causes.push_back({"FieldValueForbidden",
                        "Forbidden: field is immutable when `immutable` is set", "immutable"});
    }
  }
  if (causes.empty()) return std::nullopt;
  return Invalid(kind, obj, std::move(causes));
}

std::optional<ApiError> CheckStatusUpdate(const config::KindInfo& kind, const json& obj) {
  const json& status = Member(obj, "status");
  if (!status.is_null() && !status.is_object()) {
    return Invalid(kind, obj,
                   {{"FieldValueInvalid", "Invalid value: must be an object", "status"}});
  }
  if (kind.kind != config::Kind::kNamespace) return std::nullopt;
  const json& phase = Member(status, "phase");
  const std::string shown = phase.is_string() ? phase.get<std::string>() : phase.dump();
  // NamespaceController moves a namespace to Terminating when it is deleted; no one else may.
  const json& deleted = Member(Member(obj, "metadata"), "deletionTimestamp");
  const bool terminating = deleted.is_string() && !deleted.get<std::string>().empty();
  const char* want = terminating ? "Terminating" : "Active";
  if (phase == want) return std::nullopt;
  return Invalid(kind, obj,
                 {{"FieldValueInvalid",
                   "Invalid value: \"" + shown + "\": may only be '" + want + "' if " +
                       "`deletionTimestamp` is " + (terminating ? "not empty" : "empty"),
                   "status.Phase"}});
}

std::optional<ApiError> CheckCreate(const config::KindInfo& kind, const json& stored) {
  if (kind.kind != config::Kind::kEventsEvent) return std::nullopt;
  std::vector<ApiCause> causes;
  auto unset = [&](const char* field) {
    const json& v = Member(stored, field);
    bool set = v.is_number() ? v.get<double>() != 0
                             : !(v.is_null() || (v.is_string() && v.get<std::string>().empty()) ||
                                 (v.is_object() && v.empty()));
    if (set)
      causes.push_back({"FieldValueInvalid", "Invalid value: \"\": needs to be unset", field});
  };
  const json& time = Member(stored, "eventTime");
  if (!time.is_string() || time.get<std::string>().empty()) {
    causes.push_back({"FieldValueRequired", "Required value", "eventTime"});
  }
  const json& type = Member(stored, "type");
  if (type != "Normal" && type != "Warning") {
    causes.push_back({"FieldValueInvalid",
                      "Invalid value: \"\": has invalid value: " +
                          (type.is_string() ? type.get<std::string>() : std::string()),
                      "type"});
  }
  unset("firstTimestamp");
  unset("lastTimestamp");
  unset("count");
  unset("source");
  if (const json& series = Member(stored, "series"); series.is_object()) {
    const json& count = Member(series, "count");
    if (!count.is_number_integer() || count.get<int64_t>() < 2) {
      causes.push_back(
          {"FieldValueInvalid", "Invalid value: \"\": should be at least 2", "series.count"});
    }
    const json& last = Member(series, "lastObservedTime");
    if (!last.is_string() || last.get<std::string>().empty()) {
      causes.push_back({"FieldValueRequired", "Required value", "series.lastObservedTime"});
    }
  }
  if (causes.empty()) return std::nullopt;
  return Invalid(kind, stored, std::move(causes));
}

}  // namespace canaryd::api

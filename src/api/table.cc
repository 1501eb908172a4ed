#include "api/table.h"

#include <cctype>

#include "api/event_conversion.h"
#include "api/object_util.h"

namespace canaryd::api {
namespace {

json Column(const char* name, const char* type, const char* description, int priority = 0,
            const char* format = "") {
  return {{"name", name},
          {"type", type},
          {"format", format},
          {"description", description},
          {"priority", priority}};
}

bool IsEvent(config::Kind kind) {
  return kind == config::Kind::kEvent || kind == config::Kind::kEventsEvent;
}

// Kubernetes' event columns, which start with the time rather than the name.
json EventColumns() {
  return json::array(
      {Column("Last Seen", "string",
              "The time at which the most recent occurrence of this "
              "event was recorded."),
       Column("Type", "string",
              "Type of this event (Normal, Warning), new types could be added "
              "in the future"),
       Column("Reason", "string",
              "This should be a short, machine understandable string that "
              "gives the reason for the transition into the object's current "
              "status."),
       Column("Object", "string", "The object that this event is about."),
       Column("Subobject", "string", "The field of the object the event is about.", 1),
       Column("Source", "string", "The component reporting this event.", 1),
       Column("Message", "string",
              "A human-readable description of the status of this "
              "operation."),
       Column("First Seen", "string", "The time at which the event was first recorded.", 1),
       Column("Count", "string", "The number of times this event has occurred.", 1),
       Column("Name", "string", "Name must be unique within a namespace.", 1, "name")});
}

json Columns(config::Kind kind) {
  if (IsEvent(kind)) return EventColumns();
  json cols =
      json::array({Column("Name", "string", "Name must be unique within a namespace.", 0, "name")});
  switch (kind) {
    case config::Kind::kVirtualService:
      cols.push_back(Column("Gateways", "string",
                            "The names of gateways and sidecars that "
                            "should apply these routes"));
      cols.push_back(Column("Hosts", "string",
                            "The destination hosts to which traffic is being "
                            "sent"));
      break;
    case config::Kind::kDestinationRule:
      cols.push_back(Column("Host", "string", "The name of a service from the service registry"));
      break;
    case config::Kind::kServiceEntry:
      cols.push_back(Column("Hosts", "string", "The hosts associated with the ServiceEntry"));
      cols.push_back(Column("Location", "string",
                            "Whether the service is external to the mesh "
                            "or part of the mesh (MESH_EXTERNAL or "
                            "MESH_INTERNAL)"));
      cols.push_back(Column("Resolution", "string",
                            "Service resolution mode for the hosts (NONE, "
                            "STATIC, or DNS)"));
      break;
    case config::Kind::kService:
      cols.push_back(Column("Type", "string", "The type of the service."));
      cols.push_back(Column("Cluster-IP", "string", "The cluster IP of the service."));
      cols.push_back(Column("External-IP", "string", "The external IP of the service."));
      cols.push_back(Column("Port(s)", "string", "The ports of the service."));
      break;
    case config::Kind::kNamespace:
      cols.push_back(Column("Status", "string", "The status of the namespace."));
      break;
    case config::Kind::kConfigMap:
      cols.push_back(Column("Data", "string", "The number of keys in data and binaryData."));
      break;
    case config::Kind::kSecret:
      cols.push_back(Column("Type", "string",
                            "Used to facilitate programmatic handling of "
                            "secret data."));
      cols.push_back(Column("Data", "string", "The number of keys in data."));
      break;
    case config::Kind::kDeployment:
      cols.push_back(Column("Ready", "string", "Number of the pod with ready state"));
      cols.push_back(Column("Up-to-date", "string",
                            "Total number of non-terminated pods targeted by this deployment "
                            "that have the desired template spec."));
      cols.push_back(Column("Available", "string",
                            "Total number of available pods (ready for at least "
                            "minReadySeconds) targeted by this deployment."));
      break;
    case config::Kind::kReplicaSet:
      cols.push_back(Column("Desired", "integer", "Number of desired pods."));
      cols.push_back(Column("Current", "integer", "Number of actual replicas."));
      cols.push_back(Column("Ready", "integer", "The number of ready replicas."));
      break;
    case config::Kind::kPod:
      cols.push_back(Column("Ready", "string",
                            "The aggregate readiness state of this pod for accepting traffic."));
      cols.push_back(Column("Status", "string", "The aggregate status of the containers."));
      cols.push_back(Column("Restarts", "string",
                            "The number of times the containers in this pod have been "
                            "restarted and when the last container restarted."));
      break;
    case config::Kind::kEndpoints:
      cols.push_back(Column("Endpoints", "string", "Endpoints of the service."));
      break;
    case config::Kind::kCanary:
    case config::Kind::kFlaggerCanary:
      cols.push_back(Column("Status", "string", "The phase of the rollout."));
      cols.push_back(Column("Weight", "integer", "The canary's weight on the shifted route."));
      cols.push_back(Column("FailedChecks", "integer", "Failed checks of this analysis."));
      cols.push_back(Column("LastTransitionTime", "string", "When the phase last changed."));
      break;
    default:
      break;
  }
  cols.push_back(Column("Age", "string",
                        "CreationTimestamp is a timestamp representing the server time when this "
                        "object was created."));
  if (kind == config::Kind::kWorkloadEntry) {
    cols.push_back(Column("Address", "string", "Address associated with the network endpoint."));
  }
  if (kind == config::Kind::kService) {
    cols.push_back(Column("Selector", "string", "The label selector of the service.", 1));
  }
  if (kind == config::Kind::kDeployment || kind == config::Kind::kReplicaSet) {
    cols.push_back(Column("Containers", "string", "Names of each container in the template.", 1));
    cols.push_back(Column("Images", "string",
                          "Images referenced by each container in the "
                          "template.",
                          1));
    cols.push_back(Column("Selector", "string", "Label selector for pods.", 1));
  }
  if (kind == config::Kind::kPod) {
    cols.push_back(Column("IP", "string", "The IP address assigned to the pod.", 1));
    cols.push_back(Column("Node", "string", "The node the pod runs on.", 1));
  }
  return cols;
}

const json& Field(const json& obj, std::initializer_list<const char*> path) {
  static const json kNull;
  const json* cur = &obj;
  for (const char* p : path) {
    if (!cur->is_object()) return kNull;
    auto it = cur->find(p);
    if (it == cur->end()) return kNull;
    cur = &*it;
  }
  return *cur;
}

std::string StringOr(const json& v, const std::string& fallback) {
  return v.is_string() && !v.get<std::string>().empty() ? v.get<std::string>() : fallback;
}

// A list cell as kubectl prints a CRD's JSONPath column over an array: ["a","b"].
json ListCell(const json& v) {
  if (v.is_null()) return nullptr;
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string Age(const json& obj, int64_t now_nanos) {
  std::optional<int64_t> created = ParseTimestamp(MetaString(obj, "creationTimestamp"));
  if (!created) return "<unknown>";
  return HumanDuration(now_nanos - *created);
}

std::string ServicePorts(const json& spec) {
  const json& ports = Field(spec, {"ports"});
  if (!ports.is_array() || ports.empty()) return "<none>";
  std::string out;
  for (const json& p : ports) {
    if (!out.empty()) out += ",";
    out += std::to_string(p.value("port", 0));
    if (auto np = p.find("nodePort"); np != p.end() && np->is_number_integer()) {
      out += ":" + std::to_string(np->get<int64_t>());
    }
    out += "/" + p.value("protocol", std::string("TCP"));
  }
  return out;
}

std::string Selector(const json& spec) {
  const json& sel = Field(spec, {"selector"});
  if (!sel.is_object() || sel.empty()) return "<none>";
  std::string out;
  for (auto it = sel.begin(); it != sel.end(); ++it) {
    if (!out.empty()) out += ",";
    out += it.key() + "=" +
           (it->is_string() ? it->get<std::string>()
                            : it->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  return out;
}

std::string ExternalIps(const json& obj) {
  const json& spec = Field(obj, {"spec"});
  std::string type = StringOr(Field(spec, {"type"}), "ClusterIP");
  std::string ips;
  if (const json& e = Field(spec, {"externalIPs"}); e.is_array()) {
    for (const json& ip : e) {
      if (!ips.empty()) ips += ",";
      ips += ip.is_string() ? ip.get<std::string>() : "";
    }
  }
  if (type == "ExternalName") return StringOr(Field(spec, {"externalName"}), "<none>");
  if (type == "LoadBalancer") {
    const json& ingress = Field(obj, {"status", "loadBalancer", "ingress"});
    if (ingress.is_array()) {
      for (const json& i : ingress) {
        std::string v = i.value("ip", i.value("hostname", ""));
        if (v.empty()) continue;
        if (!ips.empty()) ips += ",";
        ips += v;
      }
    }
    return ips.empty() ? "<pending>" : ips;
  }
  return ips.empty() ? "<none>" : ips;
}

int64_t Size(const json& v) {
  return v.is_object() ? static_cast<int64_t>(v.size()) : 0;
}

std::string Since(const json& time, int64_t now_nanos) {
  std::optional<int64_t> t =
      time.is_string() ? ParseTimestamp(time.get<std::string>()) : std::nullopt;
  return t ? HumanDuration(now_nanos - *t) : "<unknown>";
}

bool Unset(const json& v) {
  return !v.is_string() || v.get<std::string>().empty();
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string TrimSpace(std::string s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

int64_t IntOr(const json& v, int64_t fallback) {
  return v.is_number_integer() ? v.get<int64_t>() : fallback;
}

// metav1.FormatLabelSelector: "app=web,version in (v1,v2)".
std::string LabelSelectorText(const json& sel) {
  std::string out;
  if (const json& ml = Field(sel, {"matchLabels"}); ml.is_object()) {
    for (auto it = ml.begin(); it != ml.end(); ++it) {
      if (!out.empty()) out += ",";
      out += it.key() + "=" + (it->is_string() ? it->get<std::string>() : "");
    }
  }
  if (const json& me = Field(sel, {"matchExpressions"}); me.is_array()) {
    for (const json& r : me) {
      if (!out.empty()) out += ",";
      std::string key = StringOr(Field(r, {"key"}), ""), op = StringOr(Field(r, {"operator"}), "");
      std::string values;
      if (const json& vs = Field(r, {"values"}); vs.is_array()) {
        for (const json& v : vs) {
          if (!values.empty()) values += ",";
          values += v.is_string() ? v.get<std::string>() : "";
        }
      }
      if (op == "In")
        out += key + " in (" + values + ")";
      else if (op == "NotIn")
        out += key + " notin (" + values + ")";
      else if (op == "Exists")
        out += key;
      else
        out += "!" + key;
    }
  }
  return out.empty() ? "<none>" : out;
}

// kubectl's printPod: READY, STATUS (the phase, or the reason of the first container that is
// waiting or terminated, Terminating once deleted), RESTARTS with when the last one was.
void PodCells(const json& obj, int64_t now_nanos, json& cells) {
  const json& st = Field(obj, {"status"});
  const json& statuses = Field(st, {"containerStatuses"});
  int64_t total = 0, ready = 0, restarts = 0;
  if (const json& cs = Field(obj, {"spec", "containers"}); cs.is_array()) total = cs.size();
  std::string reason = StringOr(Field(st, {"reason"}), StringOr(Field(st, {"phase"}), "Pending"));
  std::optional<int64_t> last_restart;
  if (statuses.is_array()) {
    for (auto it = statuses.rbegin(); it != statuses.rend(); ++it) {
      const json& c = *it;
      restarts += IntOr(Field(c, {"restartCount"}), 0);
      if (const json& fin = Field(c, {"lastState", "terminated", "finishedAt"}); fin.is_string()) {
        if (std::optional<int64_t> t = ParseTimestamp(fin.get<std::string>())) {
          if (!last_restart || *t > *last_restart) last_restart = t;
        }
      }
      if (const json& w = Field(c, {"state", "waiting", "reason"});
          w.is_string() && !w.get<std::string>().empty()) {
        reason = w.get<std::string>();
      } else if (const json& t = Field(c, {"state", "terminated"}); t.is_object()) {
        std::string r = StringOr(Field(t, {"reason"}), "");
        if (r.empty()) {
          r = Field(t, {"signal"}).is_number_integer() && Field(t, {"signal"}).get<int64_t>() != 0
                  ? "Signal:" + std::to_string(Field(t, {"signal"}).get<int64_t>())
                  : "ExitCode:" + std::to_string(IntOr(Field(t, {"exitCode"}), 0));
        }
        reason = r;
      } else if (Field(c, {"ready"}).is_boolean() && Field(c, {"ready"}).get<bool>() &&
                 Field(c, {"state", "running"}).is_object()) {
        ++ready;
      }
    }
  }
  if (!Unset(Field(obj, {"metadata", "deletionTimestamp"}))) reason = "Terminating";
  cells.push_back(std::to_string(ready) + "/" + std::to_string(total));
  cells.push_back(reason);
  std::string r = std::to_string(restarts);
  if (restarts > 0 && last_restart) r += " (" + HumanDuration(now_nanos - *last_restart) + " ago)";
  cells.push_back(r);
}

// kubectl's formatEndpoints: up to three ip:port pairs, then "+ N more...".
std::string EndpointsCell(const json& obj) {
  std::vector<std::string> pairs;
  size_t count = 0;
  if (const json& subsets = Field(obj, {"subsets"}); subsets.is_array()) {
    for (const json& s : subsets) {
      const json& addrs = Field(s, {"addresses"});
      const json& ports = Field(s, {"ports"});
      if (!addrs.is_array()) continue;
      for (const json& a : addrs) {
        std::string ip = StringOr(Field(a, {"ip"}), "");
        if (!ports.is_array() || ports.empty()) {
          ++count;
          if (pairs.size() < 3) pairs.push_back(ip);
          continue;
        }
        for (const json& p : ports) {
          ++count;
          if (pairs.size() < 3)
            pairs.push_back(ip + ":" + std::to_string(IntOr(Field(p, {"port"}), 0)));
        }
      }
    }
  }
  if (pairs.empty()) return "<none>";
  std::string out;
  for (const std::string& p : pairs) out += (out.empty() ? "" : ",") + p;
  if (count > pairs.size()) out += " + " + std::to_string(count - pairs.size()) + " more...";
  return out;
}

// A core/v1 event's row, as Kubernetes' printer makes it: first and last seen from the
// timestamps (eventTime for events written in the events.k8s.io form), a series' count and
// last observation, the involved object as kind/name.
json EventCells(const json& e, int64_t now_nanos) {
  std::string first = Unset(Field(e, {"firstTimestamp"}))
                          ? Since(Field(e, {"eventTime"}), now_nanos)
                          : Since(Field(e, {"firstTimestamp"}), now_nanos);
  std::string last =
      Unset(Field(e, {"lastTimestamp"})) ? first : Since(Field(e, {"lastTimestamp"}), now_nanos);
  int64_t count = Field(e, {"count"}).is_number_integer() ? Field(e, {"count"}).get<int64_t>() : 0;
  if (const json& series = Field(e, {"series"}); series.is_object()) {
    last = Since(Field(series, {"lastObservedTime"}), now_nanos);
    count =
        Field(series, {"count"}).is_number_integer() ? Field(series, {"count"}).get<int64_t>() : 0;
  } else if (count == 0) {
    count = 1;  // a single event in the events.k8s.io form has no count
  }
  const json& involved = Field(e, {"involvedObject"});
  std::string target = Lower(StringOr(Field(involved, {"kind"}), ""));
  if (std::string name = StringOr(Field(involved, {"name"}), ""); !name.empty()) {
    target += "/" + name;
  }
  std::string component =
      StringOr(Field(e, {"source", "component"}), StringOr(Field(e, {"reportingComponent"}), ""));
  std::string instance =
      StringOr(Field(e, {"source", "host"}), StringOr(Field(e, {"reportingInstance"}), ""));
  std::string source = instance.empty() ? component : component + ", " + instance;
  return json::array({last, StringOr(Field(e, {"type"}), ""), StringOr(Field(e, {"reason"}), ""),
                      target, StringOr(Field(involved, {"fieldPath"}), ""), source,
                      TrimSpace(StringOr(Field(e, {"message"}), "")), first, count,
                      MetaString(e, "name")});
}

}  // namespace

json TableCells(const config::KindInfo& kind, const json& obj, int64_t now_nanos) {
  if (kind.kind == config::Kind::kEvent) return EventCells(obj, now_nanos);
  if (kind.kind == config::Kind::kEventsEvent) {
    std::string unknown;
    return EventCells(CoreFromEventsV1(obj, &unknown).value_or(json::object()), now_nanos);
  }
  const json& spec = Field(obj, {"spec"});
  json cells = json::array({MetaString(obj, "name")});
  switch (kind.kind) {
    case config::Kind::kVirtualService:
      cells.push_back(ListCell(Field(spec, {"gateways"})));
      cells.push_back(ListCell(Field(spec, {"hosts"})));
      break;
    case config::Kind::kDestinationRule:
      cells.push_back(Field(spec, {"host"}).is_string() ? Field(spec, {"host"}) : json());
      break;
    case config::Kind::kServiceEntry:
      cells.push_back(ListCell(Field(spec, {"hosts"})));
      cells.push_back(Field(spec, {"location"}).is_string() ? Field(spec, {"location"}) : json());
      cells.push_back(Field(spec, {"resolution"}).is_string() ? Field(spec, {"resolution"})
                                                              : json());
      break;
    case config::Kind::kService:
      cells.push_back(StringOr(Field(spec, {"type"}), "ClusterIP"));
      cells.push_back(StringOr(Field(spec, {"clusterIP"}), "<none>"));
      cells.push_back(ExternalIps(obj));
      cells.push_back(ServicePorts(spec));
      break;
    case config::Kind::kNamespace:
      cells.push_back(StringOr(Field(obj, {"status", "phase"}), "Active"));
      break;
    case config::Kind::kConfigMap:
      cells.push_back(Size(Field(obj, {"data"})) + Size(Field(obj, {"binaryData"})));
      break;
    case config::Kind::kSecret:
      cells.push_back(StringOr(Field(obj, {"type"}), ""));
      cells.push_back(Size(Field(obj, {"data"})));
      break;
    case config::Kind::kDeployment: {
      const json& st = Field(obj, {"status"});
      int64_t want = IntOr(Field(spec, {"replicas"}), 1);
      cells.push_back(std::to_string(IntOr(Field(st, {"readyReplicas"}), 0)) + "/" +
                      std::to_string(want));
      cells.push_back(IntOr(Field(st, {"updatedReplicas"}), 0));
      cells.push_back(IntOr(Field(st, {"availableReplicas"}), 0));
      break;
    }
    case config::Kind::kReplicaSet: {
      const json& st = Field(obj, {"status"});
      cells.push_back(IntOr(Field(spec, {"replicas"}), 1));
      cells.push_back(IntOr(Field(st, {"replicas"}), 0));
      cells.push_back(IntOr(Field(st, {"readyReplicas"}), 0));
      break;
    }
    case config::Kind::kPod: {
      PodCells(obj, now_nanos, cells);
      break;
    }
    case config::Kind::kEndpoints:
      cells.push_back(EndpointsCell(obj));
      break;
    case config::Kind::kCanary:
    case config::Kind::kFlaggerCanary: {
      const json& st = Field(obj, {"status"});
      cells.push_back(StringOr(Field(st, {"phase"}), "Pending"));
      cells.push_back(Field(st, {"canaryWeight"}).is_number() ? Field(st, {"canaryWeight"})
                                                              : json(0));
      cells.push_back(Field(st, {"failedChecks"}).is_number() ? Field(st, {"failedChecks"})
                                                              : json(0));
      cells.push_back(StringOr(Field(st, {"lastTransitionTime"}), ""));
      break;
    }
    default:
      break;
  }
  cells.push_back(Age(obj, now_nanos));
  if (kind.kind == config::Kind::kWorkloadEntry) {
    cells.push_back(Field(spec, {"address"}).is_string() ? Field(spec, {"address"}) : json());
  }
  if (kind.kind == config::Kind::kService) cells.push_back(Selector(spec));
  if (kind.kind == config::Kind::kDeployment || kind.kind == config::Kind::kReplicaSet) {
    std::string names, images;
    if (const json& cs = Field(spec, {"template", "spec", "containers"}); cs.is_array()) {
      for (const json& c : cs) {
        if (!names.empty()) names += ",", images += ",";
        names += StringOr(Field(c, {"name"}), "");
        images += StringOr(Field(c, {"image"}), "");
      }
    }
    cells.push_back(names);
    cells.push_back(images);
    cells.push_back(LabelSelectorText(Field(spec, {"selector"})));
  }
  if (kind.kind == config::Kind::kPod) {
    cells.push_back(StringOr(Field(obj, {"status", "podIP"}), "<none>"));
    cells.push_back(StringOr(Field(spec, {"nodeName"}), "<none>"));
  }
  return cells;
}

namespace {

json Row(const config::KindInfo& kind, const json& obj, int64_t now_nanos, IncludeObject include) {
  json row = {{"cells", TableCells(kind, obj, now_nanos)}};
  if (include == IncludeObject::kObject) {
    row["object"] = obj;
  } else if (include == IncludeObject::kMetadata) {
    json meta = obj.value("metadata", json::object());
    meta.erase("managedFields");
    row["object"] = {{"kind", "PartialObjectMetadata"},
                     {"apiVersion", "meta.k8s.io/v1"},
                     {"metadata", std::move(meta)}};
  }
  return row;
}

}  // namespace

json MakeTable(const config::KindInfo& kind, const std::vector<json>& objects,
               const std::string& resource_version, int64_t now_nanos, IncludeObject include,
               bool with_columns) {
  json rows = json::array();
  for (const json& obj : objects) rows.push_back(Row(kind, obj, now_nanos, include));
  json table = {{"kind", "Table"},
                {"apiVersion", "meta.k8s.io/v1"},
                {"metadata", {{"resourceVersion", resource_version}}},
                {"columnDefinitions", with_columns ? Columns(kind.kind) : json::array()},
                {"rows", std::move(rows)}};
  return table;
}

std::string MakeTableText(const config::KindInfo& kind, const std::vector<json>& objects,
                          const std::string& resource_version, int64_t now_nanos,
                          IncludeObject include) {
  std::string out =
      R"({"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":)";
  out += json(resource_version).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out += R"(},"columnDefinitions":)";
  out += Columns(kind.kind).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out += R"(,"rows":[)";
  std::string row;
  for (size_t i = 0; i < objects.size(); ++i) {
    row = Row(kind, objects[i], now_nanos, include)
              .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (i == 0) out.reserve(out.size() + (row.size() + 1) * objects.size() + 16);
    if (i > 0) out += ',';
    out += row;
  }
  out += "]}";
  return out;
}

}  // namespace canaryd::api

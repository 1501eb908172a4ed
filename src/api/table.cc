#include "api/table.h"

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

json Columns(config::Kind kind) {
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

}  // namespace

json TableCells(const config::KindInfo& kind, const json& obj, int64_t now_nanos) {
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
    default:
      break;
  }
  cells.push_back(Age(obj, now_nanos));
  if (kind.kind == config::Kind::kWorkloadEntry) {
    cells.push_back(Field(spec, {"address"}).is_string() ? Field(spec, {"address"}) : json());
  }
  if (kind.kind == config::Kind::kService) cells.push_back(Selector(spec));
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

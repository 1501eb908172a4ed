#include "client/commands.h"

#include <cctype>

#include "api/manifest_files.h"
#include "client/printer.h"
#include "client/yaml_emitter.h"
#include "config/kinds.h"

namespace canaryd::client {
namespace {

using nlohmann::json;

constexpr const char* kLastApplied = "kubectl.kubernetes.io/last-applied-configuration";
constexpr const char* kTableAccept =
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";

std::string Escape(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string Base64(const std::string& in) {
  static const char* kTable = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8) |
                 static_cast<uint8_t>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kTable[(v >> s) & 63]);
  }
  if (i < in.size()) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<uint8_t>(in[i + 1]) << 8;
    out.push_back(kTable[(v >> 18) & 63]);
    out.push_back(kTable[(v >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kTable[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::string PreferredVersion(const config::KindInfo& k) {
  return std::string(config::GroupVersions(k.group)[0]);
}

std::string CollectionPath(const config::KindInfo& k, const std::string& version,
                           const std::string& ns) {
  std::string base =
      k.group.empty() ? "/api/" + version : "/apis/" + std::string(k.group) + "/" + version;
  if (k.namespaced && !ns.empty()) base += "/namespaces/" + Escape(ns);
  return base + "/" + std::string(k.plural);
}

std::string ItemPath(const config::KindInfo& k, const std::string& version, const std::string& ns,
                     const std::string& name) {
  return CollectionPath(k, version, ns) + "/" + Escape(name);
}

void PrintWarnings(const HttpResult& r, Output io) {
  for (const std::string& w : r.warnings) io.err << "Warning: " << w << "\n";
}

json StripManagedFields(json obj) {
  if (obj.is_object() && obj.contains("metadata") && obj["metadata"].is_object()) {
    obj["metadata"].erase("managedFields");
  }
  return obj;
}

struct Resolved {
  const config::KindInfo* kind = nullptr;
  std::string version;
  std::string ns;
  std::string name;
};

// Finds the kind, version, namespace and name of a manifest object; prints why not.
bool Resolve(const api::ManifestObject& m, const std::string& ns_flag, Output io, Resolved* r) {
  const json& obj = m.object;
  if (!obj.is_object()) {
    io.err << "error: " << m.file << ": a manifest document must be an object\n";
    return false;
  }
  std::string api_version = obj.value("apiVersion", "");
  std::string kind = obj.value("kind", "");
  r->kind = config::FindKind(api_version, kind);
  if (r->kind == nullptr) {
    io.err << "error: resource mapping not found for kind \"" << kind << "\" in version \""
           << api_version << "\" (" << m.file
           << "): " << config::ExplainUnservedKind(api_version, kind) << "\n";
    return false;
  }
  r->version = api_version.substr(api_version.find('/') + 1);
  json meta = obj.value("metadata", json::object());
  if (!meta.is_object()) meta = json::object();
  r->name = meta.value("name", "");
  if (r->name.empty()) {
    io.err << "error: " << m.file << ": metadata.name is required\n";
    return false;
  }
  std::string ns = meta.value("namespace", "");
  if (r->kind->namespaced) {
    if (!ns.empty() && !ns_flag.empty() && ns != ns_flag) {
      io.err << "error: the namespace from the provided object \"" << ns
             << "\" does not match the namespace \"" << ns_flag
             << "\". You must pass '--namespace=" << ns << "' to perform this operation.\n";
      return false;
    }
    r->ns = !ns.empty() ? ns : (!ns_flag.empty() ? ns_flag : "default");
  }
  return true;
}

}  // namespace

int RunApply(HttpClient& client, const std::vector<std::string>& files, bool recursive,
             const std::string& ns, Output io) {
  api::ManifestFiles manifests = api::ReadManifests(files, recursive);
  int rc = 0;
  for (const std::string& e : manifests.errors) {
    io.err << "error: " << e << "\n";
    rc = 1;
  }
  if (manifests.objects.empty() && manifests.errors.empty()) {
    io.err << "error: no objects passed to apply\n";
    return 1;
  }
  for (const api::ManifestObject& m : manifests.objects) {
    Resolved r;
    if (!Resolve(m, ns, io, &r)) {
      rc = 1;
      continue;
    }
    json applied = m.object;
    json& meta = applied["metadata"];
    if (r.kind->namespaced) meta["namespace"] = r.ns;
    json for_annotation = applied;
    if (auto a = for_annotation["metadata"].find("annotations");
        a != for_annotation["metadata"].end() && a->is_object()) {
      a->erase(kLastApplied);
    } else {
      for_annotation["metadata"]["annotations"] = json::object();
    }
    if (!meta.contains("annotations") || !meta["annotations"].is_object()) {
      meta["annotations"] = json::object();
    }
    meta["annotations"][kLastApplied] =
        for_annotation.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";

    std::string path = ItemPath(*r.kind, r.version, r.ns, r.name);
    Result<HttpResult> before = client.Request("GET", path);
    if (!before.ok()) {
      io.err << "error: " << before.status().message() << "\n";
      return 1;
    }
    std::string rv_before;
    if (before->status == 200) {
      json b = json::parse(before->body, nullptr, false);
      if (b.is_object()) rv_before = b["metadata"].value("resourceVersion", "");
    } else if (before->status != 404) {
      io.err << FormatError(before->status, before->body) << "\n";
      rc = 1;
      continue;
    }
    Result<HttpResult> res =
        client.Request("PATCH", path + "?fieldManager=canaryctl&force=true",
                       applied.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                       "application/apply-patch+yaml");
    if (!res.ok()) {
      io.err << "error: " << res.status().message() << "\n";
      return 1;
    }
    PrintWarnings(*res, io);
    if (res->status != 200 && res->status != 201) {
      io.err << FormatError(res->status, res->body) << "\n";
      rc = 1;
      continue;
    }
    json after = json::parse(res->body, nullptr, false);
    std::string rv_after = after.is_object() ? after["metadata"].value("resourceVersion", "") : "";
    const char* what = before->status == 404   ? "created"
                       : rv_before == rv_after ? "unchanged"
                                               : "configured";
    io.out << DisplayName(*r.kind, r.name) << " " << what << "\n";
  }
  return rc;
}

int RunGet(HttpClient& client, const GetOptions& o, Output io) {
  const config::KindInfo* kind = config::FindKindByResourceName(o.resource);
  if (kind == nullptr) {
    io.err << "error: the server doesn't have a resource type \"" << o.resource << "\"\n";
    return 1;
  }
  const std::string& out = o.output;
  if (!out.empty() && out != "wide" && out != "yaml" && out != "json" && out != "name") {
    io.err << "error: unable to match a printer suitable for the output format \"" << out
           << "\", allowed formats are: json,name,wide,yaml\n";
    return 1;
  }
  std::string version = PreferredVersion(*kind);
  std::string ns = o.all_namespaces ? "" : (o.ns.empty() ? "default" : o.ns);
  const bool table = out.empty() || out == "wide";
  const std::string accept = table ? kTableAccept : "application/json";
  std::vector<json> objects;
  json merged_table;
  int rc = 0;
  auto fetch = [&](const std::string& path) -> std::optional<json> {
    Result<HttpResult> r = client.Request("GET", path, "", "application/json", accept);
    if (!r.ok()) {
      io.err << "error: " << r.status().message() << "\n";
      rc = 1;
      return std::nullopt;
    }
    PrintWarnings(*r, io);
    if (r->status != 200) {
      io.err << FormatError(r->status, r->body) << "\n";
      rc = 1;
      return std::nullopt;
    }
    json j = json::parse(r->body, nullptr, false);
    if (j.is_discarded()) {
      io.err << "error: the server sent invalid JSON\n";
      rc = 1;
      return std::nullopt;
    }
    return j;
  };
  auto add = [&](json j) {
    if (table) {
      if (merged_table.is_null()) {
        merged_table = std::move(j);
      } else {
        for (json& row : j["rows"]) merged_table["rows"].push_back(std::move(row));
      }
    } else if (j.value("kind", "").size() > 4 &&
               j.value("kind", "").substr(j.value("kind", "").size() - 4) == "List") {
      for (json& item : j["items"]) objects.push_back(std::move(item));
    } else {
      objects.push_back(std::move(j));
    }
  };
  if (o.names.empty()) {
    if (std::optional<json> j = fetch(CollectionPath(*kind, version, ns))) add(std::move(*j));
  } else {
    for (const std::string& name : o.names) {
      if (std::optional<json> j = fetch(ItemPath(*kind, version, ns, name))) add(std::move(*j));
    }
  }
  if (table) {
    if (merged_table.is_null()) return rc;
    if (merged_table.value("rows", json::array()).empty()) {
      if (o.names.empty()) {
        io.err << (o.all_namespaces || !kind->namespaced
                       ? std::string("No resources found\n")
                       : "No resources found in " + ns + " namespace.\n");
      }
      return rc;
    }
    io.out << PrintTable(merged_table, out == "wide", o.all_namespaces && kind->namespaced);
    return rc;
  }
  if (out == "name") {
    for (const json& obj : objects) {
      io.out << DisplayName(*kind, obj["metadata"].value("name", "")) << "\n";
    }
    return rc;
  }
  json doc;
  if (objects.size() == 1 && !o.names.empty()) {
    doc = StripManagedFields(objects[0]);
  } else {
    json items = json::array();
    for (json& obj : objects) items.push_back(StripManagedFields(std::move(obj)));
    doc = {{"apiVersion", "v1"},
           {"kind", "List"},
           {"items", std::move(items)},
           {"metadata", {{"resourceVersion", ""}}}};
  }
  io.out << (out == "json"
                 ? doc.dump(4, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"
                 : ToYaml(doc));
  return rc;
}

int RunDelete(HttpClient& client, const DeleteOptions& o, Output io) {
  int rc = 0;
  std::vector<Resolved> targets;
  if (!o.files.empty()) {
    api::ManifestFiles manifests = api::ReadManifests(o.files, o.recursive);
    for (const std::string& e : manifests.errors) {
      io.err << "error: " << e << "\n";
      rc = 1;
    }
    for (const api::ManifestObject& m : manifests.objects) {
      Resolved r;
      if (Resolve(m, o.ns, io, &r)) {
        targets.push_back(r);
      } else {
        rc = 1;
      }
    }
  } else {
    const config::KindInfo* kind = config::FindKindByResourceName(o.resource);
    if (kind == nullptr) {
      io.err << "error: the server doesn't have a resource type \"" << o.resource << "\"\n";
      return 1;
    }
    if (o.names.empty()) {
      io.err << "error: resource(s) were provided, but no name was specified\n";
      return 1;
    }
    for (const std::string& name : o.names) {
      targets.push_back({kind, PreferredVersion(*kind),
                         kind->namespaced ? (o.ns.empty() ? "default" : o.ns) : "", name});
    }
  }
  for (const Resolved& t : targets) {
    Result<HttpResult> r = client.Request("DELETE", ItemPath(*t.kind, t.version, t.ns, t.name),
                                          R"({"kind":"DeleteOptions","apiVersion":"v1",)"
                                          R"("propagationPolicy":"Background"})");
    if (!r.ok()) {
      io.err << "error: " << r.status().message() << "\n";
      return 1;
    }
    PrintWarnings(*r, io);
    if (r->status == 404 && o.ignore_not_found) continue;
    if (r->status != 200 && r->status != 202) {
      io.err << FormatError(r->status, r->body) << "\n";
      rc = 1;
      continue;
    }
    io.out << QuotedName(*t.kind, t.name) << " deleted\n";
  }
  return rc;
}

std::string Kubeconfig(const std::string& server, const std::string& token,
                       const std::string& ca_pem, bool insecure) {
  json user = json::object();
  if (!token.empty()) user["token"] = token;
  json cluster = {{"server", server}};
  if (!ca_pem.empty()) cluster["certificate-authority-data"] = Base64(ca_pem);
  if (insecure) cluster["insecure-skip-tls-verify"] = true;
  json config = {
      {"apiVersion", "v1"},
      {"kind", "Config"},
      {"clusters", json::array({{{"name", "canaryd"}, {"cluster", cluster}}})},
      {"contexts",
       json::array({{{"name", "canaryd"},
                     {"context",
                      {{"cluster", "canaryd"}, {"user", "canaryd"}, {"namespace", "default"}}}}})},
      {"current-context", "canaryd"},
      {"preferences", json::object()},
      {"users", json::array({{{"name", "canaryd"}, {"user", user}}})}};
  return ToYaml(config);
}

}  // namespace canaryd::client

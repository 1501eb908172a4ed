#include "api/manifest_files.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/json_node.h"
#include "config/yaml_reader.h"

namespace canaryd::api {
namespace {

namespace fs = std::filesystem;

void AddDocument(nlohmann::json obj, const std::string& file, int index, ManifestFiles& out) {
  if (obj.is_object() && obj.value("kind", "") == "List" && obj.contains("items")) {
    if (!obj["items"].is_array()) {
      out.errors.push_back(file + ": a List needs an items array");
      return;
    }
    for (nlohmann::json& item : obj["items"]) AddDocument(std::move(item), file, index, out);
    return;
  }
  if (obj.is_null()) return;
  out.objects.push_back({std::move(obj), file, index});
}

bool IsManifest(const fs::path& p) {
  std::string ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

}  // namespace

void ReadManifestText(const std::string& text, const std::string& name, ManifestFiles& out) {
  config::ParseResult parsed = config::ParseDocuments(text);
  if (!parsed.ok) {
    out.errors.push_back(name + ":" + std::to_string(parsed.error.mark.line) + ":" +
                         std::to_string(parsed.error.mark.column) + ": " + parsed.error.message);
    return;
  }
  for (const config::Document& d : parsed.documents) {
    AddDocument(NodeToJson(d.root), name, d.index, out);
  }
}

ManifestFiles ReadManifests(const std::vector<std::string>& paths, bool recursive) {
  ManifestFiles out;
  for (const std::string& path : paths) {
    std::error_code ec;
    std::vector<fs::path> files;
    if (fs::is_directory(path, ec)) {
      auto add = [&](const fs::directory_entry& e) {
        if (e.is_regular_file() && IsManifest(e.path())) files.push_back(e.path());
      };
      if (recursive) {
        for (const auto& e : fs::recursive_directory_iterator(path, ec)) add(e);
      } else {
        for (const auto& e : fs::directory_iterator(path, ec)) add(e);
      }
      std::sort(files.begin(), files.end());
    } else if (fs::exists(path, ec)) {
      files.push_back(path);
    } else {
      out.errors.push_back(path + ": no such file or directory");
      continue;
    }
    for (const fs::path& f : files) {
      std::ifstream in(f, std::ios::binary);
      if (!in) {
        out.errors.push_back(f.string() + ": cannot be read");
        continue;
      }
      std::ostringstream buf;
      buf << in.rdbuf();
      ReadManifestText(buf.str(), f.string(), out);
    }
  }
  return out;
}

}  // namespace canaryd::api

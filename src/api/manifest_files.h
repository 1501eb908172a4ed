// Reading manifests as kubectl -f does (a file, or a directory's .yaml, .yml and .json files in
// name order, optionally recursively; multi-document YAML; `kind: List` expanded) into JSON
// objects to send to the API or apply at start. Validation is not done here: the server (or
// config::LoadPath) does it. Pure functions over the file system: any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace canaryd::api {

struct ManifestObject {
  nlohmann::json object;
  std::string file;
  int document = 0;  // 0-based index among the file's documents
};

struct ManifestFiles {
  std::vector<ManifestObject> objects;
  std::vector<std::string> errors;  // "file: message"
};

ManifestFiles ReadManifests(const std::vector<std::string>& paths, bool recursive);
// Reads manifests from text ("-" for stdin is the caller's business); `name` names it in errors.
void ReadManifestText(const std::string& text, const std::string& name, ManifestFiles& out);

}  // namespace canaryd::api

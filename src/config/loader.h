// Loading manifests: files, directories (their .yaml, .yml and .json files, as kubectl -f reads
// them) or in-memory text, into decoded, validated Resources with every diagnostic. A `kind: List`
// document is expanded into its items. Pure functions over the file system: any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostic.h"
#include "config/resource.h"
#include "config/yaml_reader.h"

namespace canaryd::config {

struct LoadOptions {
  ParseLimits limits;
  std::string default_namespace = "default";
  bool recursive = false;  // descend into sub-directories (kubectl -R)
};

struct LoadResult {
  // Resources that decoded and validated without errors, in input order.
  std::vector<Resource> resources;
  // Every error and warning; errors mean the document they name was not loaded.
  Diagnostics diagnostics;
  size_t documents = 0;  // non-empty documents read
  size_t files = 0;
};

// Decodes and validates every document of `text`; `file` names it in diagnostics.
void LoadText(std::string_view text, const std::string& file, const LoadOptions& options,
              LoadResult& out);
// Reads a file or a directory. A missing or unreadable path is an error diagnostic.
void LoadPath(const std::string& path, const LoadOptions& options, LoadResult& out);

}  // namespace canaryd::config

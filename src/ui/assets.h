// The dashboard's files (our HTML, JavaScript and CSS, and uPlot from npm), embedded in the
// binary at build time by cmake/embed_assets.cmake. Immutable data: any thread.
#pragma once

#include <cstddef>
#include <string_view>

namespace canaryd::ui {

struct Asset {
  const char* name;  // "index.html", "app.js", ...
  const unsigned char* data;
  size_t size;
};

extern const Asset kAssets[];
extern const size_t kAssetCount;

// The asset called `name`, or null.
const Asset* FindAsset(std::string_view name);

// The Content-Type of a file by its extension.
const char* ContentTypeOf(std::string_view name);

}  // namespace canaryd::ui

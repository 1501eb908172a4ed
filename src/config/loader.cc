#include "config/loader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/validate.h"

namespace canaryd::config {
namespace {

namespace fs = std::filesystem;

bool IsManifestFile(const fs::path& p) {
  std::string ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

void LoadDocument(const Node& root, const std::string& file, int index, const LoadOptions& options,
                  LoadResult& out) {
  // kubectl's `kind: List` (what `kubectl get -o yaml` prints) carries resources in items.
  const Node* kind = root.is_map() ? root.Find("kind") : nullptr;
  if (kind && kind->is_string() && kind->as_string() == "List") {
    const Node* items = root.Find("items");
    if (items == nullptr || !items->is_seq()) {
      Diagnostic d{Severity::kError, file, root.mark(), "items", "a List needs an items array"};
      out.diagnostics.Add(std::move(d));
      return;
    }
    for (const Node& item : items->items()) LoadDocument(item, file, index, options, out);
    return;
  }
  Diagnostics diags;
  std::optional<Resource> r = DecodeResource(root, diags, options.default_namespace);
  if (r) {
    r->file = file;
    r->document = index;
    ValidateResource(*r, diags);
  }
  diags.SetFile(file);
  bool ok = r && !diags.has_errors();
  out.diagnostics.Append(diags);
  if (ok) out.resources.push_back(std::move(*r));
}

}  // namespace

void LoadText(std::string_view text, const std::string& file, const LoadOptions& options,
              LoadResult& out) {
  ++out.files;
  // Documents are decoded as they are parsed; a file with a syntax error anywhere loads
  // nothing, as with kubectl.
  LoadResult file_result;
  ParseResult parsed = ParseDocuments(text, options.limits, [&](Document&& doc) {
    ++file_result.documents;
    LoadDocument(doc.root, file, doc.index, options, file_result);
  });
  if (!parsed.ok) {
    out.diagnostics.Add(
        Diagnostic{Severity::kError, file, parsed.error.mark, "", parsed.error.message});
    return;
  }
  out.documents += file_result.documents;
  out.diagnostics.Append(file_result.diagnostics);
  if (out.resources.empty()) {
    out.resources = std::move(file_result.resources);
  } else {
    for (Resource& r : file_result.resources) out.resources.push_back(std::move(r));
  }
}

void LoadPath(const std::string& path, const LoadOptions& options, LoadResult& out) {
  std::error_code ec;
  fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) {
    out.diagnostics.Add(Diagnostic{Severity::kError, path, {}, "", "no such file or directory"});
    return;
  }
  if (fs::is_directory(st)) {
    std::vector<fs::path> files;
    auto add = [&](const fs::directory_entry& e) {
      if (e.is_regular_file() && IsManifestFile(e.path())) files.push_back(e.path());
    };
    if (options.recursive) {
      for (const auto& e : fs::recursive_directory_iterator(path, ec)) add(e);
    } else {
      for (const auto& e : fs::directory_iterator(path, ec)) add(e);
    }
    if (ec) {
      out.diagnostics.Add(Diagnostic{Severity::kError, path, {}, "", ec.message()});
      return;
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) LoadPath(f.string(), options, out);
    return;
  }
  if (!fs::is_regular_file(st)) {
    out.diagnostics.Add(Diagnostic{Severity::kError, path, {}, "", "not a regular file"});
    return;
  }
  uintmax_t size = fs::file_size(path, ec);
  if (!ec && size > options.limits.max_bytes) {
    out.diagnostics.Add(Diagnostic{Severity::kError, path, Mark{1, 1}, "",
                                   "file is " + std::to_string(size) +
                                       " bytes, more than the limit of " +
                                       std::to_string(options.limits.max_bytes)});
    return;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    out.diagnostics.Add(Diagnostic{Severity::kError, path, {}, "", "cannot be read"});
    return;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  LoadText(buf.str(), path, options, out);
}

}  // namespace canaryd::config

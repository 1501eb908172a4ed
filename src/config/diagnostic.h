// Diagnostic: one finding about configuration (an error or a warning) with the file, the position
// in it, the field path and a message, formatted as `file:line:col: path: message`. Diagnostics
// collects them while decoding and validating; it belongs to one thread at a time.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/node.h"

namespace canaryd::config {

enum class Severity { kError, kWarning };

struct Diagnostic {
  Severity severity = Severity::kError;
  std::string file;  // empty when the input did not come from a file
  Mark mark;
  std::string path;  // field path, e.g. spec.http[0].route[1].weight; empty for whole-document
  std::string message;

  // "file:line:col: path: message", with "warning: " before the path for warnings.
  std::string ToString() const;
};

class Diagnostics {
 public:
  void Error(Mark mark, std::string path, std::string message);
  void Warning(Mark mark, std::string path, std::string message);
  void Add(Diagnostic d) { items_.push_back(std::move(d)); }
  void Append(const Diagnostics& other);

  // Sets the file name on every diagnostic that has none.
  void SetFile(std::string_view file);

  bool has_errors() const;
  size_t error_count() const;
  size_t warning_count() const;
  bool empty() const { return items_.empty(); }
  const std::vector<Diagnostic>& items() const { return items_; }

  // Errors first in input order, then warnings; one per line.
  std::string ToString() const;

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace canaryd::config

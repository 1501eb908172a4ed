#include "config/diagnostic.h"

#include <algorithm>

namespace canaryd::config {

std::string Diagnostic::ToString() const {
  std::string out;
  if (!file.empty()) {
    out += file;
    out += ':';
  }
  if (mark.known()) {
    out += std::to_string(mark.line);
    out += ':';
    out += std::to_string(mark.column);
    out += ':';
  }
  if (!out.empty()) out += ' ';
  if (severity == Severity::kWarning) out += "warning: ";
  if (!path.empty()) {
    out += path;
    out += ": ";
  }
  out += message;
  return out;
}

void Diagnostics::Error(Mark mark, std::string path, std::string message) {
  items_.push_back(Diagnostic{Severity::kError, "", mark, std::move(path), std::move(message)});
}

void Diagnostics::Warning(Mark mark, std::string path, std::string message) {
  items_.push_back(Diagnostic{Severity::kWarning, "", mark, std::move(path), std::move(message)});
}

void Diagnostics::Append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

void Diagnostics::SetFile(std::string_view file) {
  for (Diagnostic& d : items_) {
    if (d.file.empty()) d.file = std::string(file);
  }
}

bool Diagnostics::has_errors() const {
  return error_count() > 0;
}

size_t Diagnostics::error_count() const {
  return std::count_if(items_.begin(), items_.end(),
                       [](const Diagnostic& d) { return d.severity == Severity::kError; });
}

size_t Diagnostics::warning_count() const {
  return items_.size() - error_count();
}

std::string Diagnostics::ToString() const {
  std::string out;
  for (Severity s : {Severity::kError, Severity::kWarning}) {
    for (const Diagnostic& d : items_) {
      if (d.severity != s) continue;
      out += d.ToString();
      out += '\n';
    }
  }
  return out;
}

}  // namespace canaryd::config

// SourceMap: the position of every field of a decoded document, by field path. Recording is an
// append to one buffer (it happens for every field of every decode); lookups are rare (only
// when reporting a problem) and linear. Build on one thread, then read from any.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/node.h"

namespace canaryd::config {

class SourceMap {
 public:
  void Record(std::string_view path, Mark mark) {
    if (!mark.known()) return;
    entries_.push_back(Entry{paths_.size(), path.size(), mark});
    paths_.append(path);
  }
  // The position last recorded for exactly this path.
  std::optional<Mark> Find(std::string_view path) const {
    for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
      if (std::string_view(paths_).substr(it->offset, it->length) == path) return it->mark;
    }
    return std::nullopt;
  }
  bool empty() const { return entries_.empty(); }

 private:
  struct Entry {
    size_t offset;
    size_t length;
    Mark mark;
  };
  std::string paths_;
  std::vector<Entry> entries_;
};

}  // namespace canaryd::config

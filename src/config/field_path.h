// FieldPath: the Kubernetes-style path of the field being decoded or validated
// (`spec.http[0].match[1].headers[end-user].exact`), grown and shrunk with scopes as a walk
// descends and returns. One per walk; not thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace canaryd::config {

class FieldPath {
 public:
  FieldPath() = default;
  explicit FieldPath(std::string root) : path_(std::move(root)) {}

  // Restores the path's previous length when it goes out of scope.
  class [[nodiscard]] Scope {
   public:
    Scope(FieldPath& p, size_t len) : p_(p), len_(len) {}
    ~Scope() { p_.path_.resize(len_); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    FieldPath& p_;
    size_t len_;
  };

  // An empty name leaves the path as it is.
  Scope Field(std::string_view name) {
    size_t len = path_.size();
    if (name.empty()) return Scope(*this, len);
    if (!path_.empty()) path_ += '.';
    path_ += name;
    return Scope(*this, len);
  }
  Scope Index(size_t i) {
    size_t len = path_.size();
    path_ += '[';
    path_ += std::to_string(i);
    path_ += ']';
    return Scope(*this, len);
  }
  Scope Key(std::string_view key) {
    size_t len = path_.size();
    path_ += '[';
    path_ += key;
    path_ += ']';
    return Scope(*this, len);
  }

  const std::string& str() const { return path_; }
  // The path with `.name` appended, without changing this one.
  std::string Child(std::string_view name) const {
    return path_.empty() ? std::string(name) : path_ + "." + std::string(name);
  }

 private:
  std::string path_;
};

}  // namespace canaryd::config

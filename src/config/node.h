// Node: a parsed YAML or JSON value with the source position of every scalar, sequence, map and
// map key. It is what the typed decoder reads, whatever the input format was. Values are plain
// data: build on one thread, then share read-only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace canaryd::config {

// 1-based line and column; line 0 means "no position known" (e.g. input that came as JSON
// through the API, where positions are not reported).
struct Mark {
  int line = 0;
  int column = 0;
  bool known() const { return line > 0; }
};

class Node {
 public:
  enum class Type { kNull, kBool, kInt, kFloat, kString, kSeq, kMap };
  struct Entry;

  Node() = default;
  static Node Null(Mark m = {});
  static Node Bool(bool b, Mark m = {});
  static Node Int(int64_t i, Mark m = {});
  static Node Float(double d, Mark m = {});
  static Node String(std::string s, Mark m = {});
  static Node Seq(Mark m = {});
  static Node Map(Mark m = {});

  Type type() const { return type_; }
  Mark mark() const { return mark_; }
  void set_mark(Mark m) { mark_ = m; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_int() const { return type_ == Type::kInt; }
  bool is_number() const { return type_ == Type::kInt || type_ == Type::kFloat; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_seq() const { return type_ == Type::kSeq; }
  bool is_map() const { return type_ == Type::kMap; }

  bool as_bool() const { return is_bool() && std::get<bool>(v_); }
  int64_t as_int() const { return is_int() ? std::get<int64_t>(v_) : 0; }
  double as_double() const;
  const std::string& as_string() const;

  // The items of a sequence (empty for other types). The mutable form makes this node a sequence.
  const std::vector<Node>& items() const;
  std::vector<Node>& items();
  // The entries of a map (empty for other types). The mutable form makes this node a map.
  const std::vector<Entry>& entries() const;
  std::vector<Entry>& entries();

  // Map lookup by key (linear: maps in resources are small). nullptr when absent or not a map.
  const Node* Find(std::string_view key) const;
  Node* Find(std::string_view key);
  // Adds or replaces a map entry.
  void Set(std::string key, Node value, Mark key_mark = {});
  void Append(Node value);

  // Number of nodes in this subtree (this one included).
  size_t CountNodes() const;

  // Short name of the type as Kubernetes error messages spell it ("string", "integer", ...).
  static const char* TypeName(Type t);
  const char* type_name() const { return TypeName(type_); }

  friend bool operator==(const Node& a, const Node& b);

 private:
  Node(Type t, Mark m);

  // One alternative per Type: nodes are many and small, so they hold only what their type needs.
  using Value = std::variant<std::monostate, bool, int64_t, double, std::string, std::vector<Node>,
                             std::vector<Entry>>;
  Type type_ = Type::kNull;
  Mark mark_;
  Value v_;
};

struct Node::Entry {
  std::string key;
  Mark key_mark;
  Node value;
  friend bool operator==(const Entry& a, const Entry& b) {
    return a.key == b.key && a.value == b.value;
  }
};

// Defined here, where Entry is complete: a Node's destructor destroys a vector<Entry>, which
// clang (unlike GCC) will not instantiate for an incomplete Entry.
inline Node Node::Null(Mark m) {
  return Node(Type::kNull, m);
}
inline Node Node::Seq(Mark m) {
  return Node(Type::kSeq, m);
}
inline Node Node::Map(Mark m) {
  return Node(Type::kMap, m);
}
inline void Node::Append(Node value) {
  items().push_back(std::move(value));
}

}  // namespace canaryd::config

#include "config/node.h"

namespace canaryd::config {

Node::Node(Type t, Mark m) : type_(t), mark_(m) {
  switch (t) {
    case Type::kSeq:
      v_.emplace<std::vector<Node>>();
      break;
    case Type::kMap:
      v_.emplace<std::vector<Entry>>();
      break;
    default:
      break;
  }
}

Node Node::Bool(bool b, Mark m) {
  Node n(Type::kBool, m);
  n.v_ = b;
  return n;
}
Node Node::Int(int64_t i, Mark m) {
  Node n(Type::kInt, m);
  n.v_ = i;
  return n;
}
Node Node::Float(double d, Mark m) {
  Node n(Type::kFloat, m);
  n.v_ = d;
  return n;
}
Node Node::String(std::string s, Mark m) {
  Node n(Type::kString, m);
  n.v_ = std::move(s);
  return n;
}

double Node::as_double() const {
  if (type_ == Type::kInt) return static_cast<double>(std::get<int64_t>(v_));
  if (type_ == Type::kFloat) return std::get<double>(v_);
  return 0;
}

const std::string& Node::as_string() const {
  static const std::string kEmpty;
  return is_string() ? std::get<std::string>(v_) : kEmpty;
}

const std::vector<Node>& Node::items() const {
  static const std::vector<Node> kEmpty;
  return is_seq() ? std::get<std::vector<Node>>(v_) : kEmpty;
}

std::vector<Node>& Node::items() {
  if (!is_seq()) *this = Seq(mark_);
  return std::get<std::vector<Node>>(v_);
}

const std::vector<Node::Entry>& Node::entries() const {
  static const std::vector<Entry> kEmpty;
  return is_map() ? std::get<std::vector<Entry>>(v_) : kEmpty;
}

std::vector<Node::Entry>& Node::entries() {
  if (!is_map()) *this = Map(mark_);
  return std::get<std::vector<Entry>>(v_);
}

const Node* Node::Find(std::string_view key) const {
  for (const Entry& e : entries()) {
    if (e.key == key) return &e.value;
  }
  return nullptr;
}

Node* Node::Find(std::string_view key) {
  if (!is_map()) return nullptr;
  for (Entry& e : entries()) {
    if (e.key == key) return &e.value;
  }
  return nullptr;
}

void Node::Set(std::string key, Node value, Mark key_mark) {
  if (Node* existing = Find(key)) {
    *existing = std::move(value);
    return;
  }
  entries().push_back(Entry{std::move(key), key_mark, std::move(value)});
}

size_t Node::CountNodes() const {
  size_t n = 1;
  for (const Node& i : items()) n += i.CountNodes();
  for (const Entry& e : entries()) n += e.value.CountNodes();
  return n;
}

const char* Node::TypeName(Type t) {
  switch (t) {
    case Type::kNull:
      return "null";
    case Type::kBool:
      return "boolean";
    case Type::kInt:
      return "integer";
    case Type::kFloat:
      return "number";
    case Type::kString:
      return "string";
    case Type::kSeq:
      return "array";
    case Type::kMap:
      return "object";
  }
  return "unknown";
}

bool operator==(const Node& a, const Node& b) {
  if (a.type_ != b.type_) {
    // 1 and 1.0 are the same JSON number.
    if (a.is_number() && b.is_number()) return a.as_double() == b.as_double();
    return false;
  }
  switch (a.type_) {
    case Node::Type::kNull:
      return true;
    case Node::Type::kMap: {
      // Objects compare as JSON objects do: same keys and values, in any order.
      if (a.entries().size() != b.entries().size()) return false;
      for (const Node::Entry& e : a.entries()) {
        const Node* other = b.Find(e.key);
        if (other == nullptr || !(*other == e.value)) return false;
      }
      return true;
    }
    default:
      return a.v_ == b.v_;
  }
}

}  // namespace canaryd::config

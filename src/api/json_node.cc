#include "api/json_node.h"

#include <cstddef>
#include <iterator>
#include <utility>
#include <vector>

#include "config/yaml_reader.h"

namespace canaryd::api {

using config::Node;
using nlohmann::json;

Node JsonToNode(const json& j) {
  switch (j.type()) {
    case json::value_t::null:
    case json::value_t::discarded:
      return Node::Null();
    case json::value_t::boolean:
      return Node::Bool(j.get<bool>());
    case json::value_t::number_integer:
      return Node::Int(j.get<int64_t>());
    case json::value_t::number_unsigned: {
      uint64_t u = j.get<uint64_t>();
      if (u <= static_cast<uint64_t>(INT64_MAX)) return Node::Int(static_cast<int64_t>(u));
      return Node::Float(static_cast<double>(u));
    }
    case json::value_t::number_float:
      return Node::Float(j.get<double>());
    case json::value_t::string:
      return Node::String(j.get<std::string>());
    case json::value_t::array: {
      Node seq = Node::Seq();
      seq.items().reserve(j.size());
      for (const json& item : j) seq.Append(JsonToNode(item));
      return seq;
    }
    case json::value_t::object: {
      Node map = Node::Map();
      map.entries().reserve(j.size());
      for (auto it = j.begin(); it != j.end(); ++it) {
        map.entries().push_back(Node::Entry{it.key(), {}, JsonToNode(it.value())});
      }
      return map;
    }
    case json::value_t::binary:
      return Node::Null();
  }
  return Node::Null();
}

json NodeToJson(const Node& n) {
  switch (n.type()) {
    case Node::Type::kNull:
      return nullptr;
    case Node::Type::kBool:
      return n.as_bool();
    case Node::Type::kInt:
      return n.as_int();
    case Node::Type::kFloat:
      return n.as_double();
    case Node::Type::kString:
      return n.as_string();
    case Node::Type::kSeq: {
      json a = json::array();
      for (const Node& item : n.items()) a.push_back(NodeToJson(item));
      return a;
    }
    case Node::Type::kMap: {
      json o = json::object();
      for (const Node::Entry& e : n.entries()) o[e.key] = NodeToJson(e.value);
      return o;
    }
  }
  return nullptr;
}

std::optional<json> ParseYamlOrJson(std::string_view text, std::string* error) {
  config::ParseResult parsed = config::ParseDocuments(text);
  if (!parsed.ok) {
    *error = "line " + std::to_string(parsed.error.mark.line) + ", column " +
             std::to_string(parsed.error.mark.column) + ": " + parsed.error.message;
    return std::nullopt;
  }
  if (parsed.documents.size() != 1) {
    *error = parsed.documents.empty()
                 ? "empty document"
                 : "expected one document, got " + std::to_string(parsed.documents.size());
    return std::nullopt;
  }
  return NodeToJson(parsed.documents[0].root);
}

namespace {

// nlohmann's parser reads its input through this iterator, which records how far it has read:
// when the parser reports a key, the key's closing quote is the last character read, which is
// how the handler below finds where a duplicate key is.
class TrackingIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  TrackingIterator(const char* p, const char** read_to) : p_(p), read_to_(read_to) {}
  reference operator*() const { return *p_; }
  TrackingIterator& operator++() {
    *read_to_ = ++p_;
    return *this;
  }
  TrackingIterator operator++(int) {
    TrackingIterator before = *this;
    ++*this;
    return before;
  }
  bool operator==(const TrackingIterator& o) const { return p_ == o.p_; }
  bool operator!=(const TrackingIterator& o) const { return p_ != o.p_; }

 private:
  const char* p_;
  const char** read_to_;
};

// "line L, column C" (1-based, columns in bytes as nlohmann counts them) of offset `at`.
std::string Position(std::string_view text, size_t at) {
  size_t line = 1, line_start = 0;
  for (size_t i = 0; i < at && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(at - line_start + 1);
}

// The offset of the opening quote of the JSON string whose closing quote is at `close`. Inside a
// JSON string a quote is always escaped, i.e. preceded by an odd run of backslashes.
size_t OpeningQuote(std::string_view text, size_t close) {
  for (size_t i = close; i-- > 0;) {
    if (text[i] != '"') continue;
    size_t backslashes = 0;
    while (backslashes < i && text[i - 1 - backslashes] == '\\') ++backslashes;
    if (backslashes % 2 == 0) return i;
  }
  return 0;
}

// A SAX handler that builds the value as json::parse does, but refuses what json::parse lets
// through: a key repeated in an object (json::parse keeps the last one; YAML, kubectl and
// kube-apiserver's strict decoding refuse it) and nesting deeper than kMaxDepth.
class StrictJsonBuilder {
 public:
  // nlohmann's parser is iterative, but walking the result (dump, conversions) recurses: values
  // nested deeper than a resource can be are refused.
  static constexpr size_t kMaxDepth = 100;

  StrictJsonBuilder(std::string_view text, const char** read_to) : text_(text), read_to_(read_to) {}

  json& result() { return root_; }
  const std::string& error() const { return error_; }

  bool null() { return Add(nullptr) != nullptr; }
  bool boolean(bool v) { return Add(v) != nullptr; }
  bool number_integer(json::number_integer_t v) { return Add(v) != nullptr; }
  bool number_unsigned(json::number_unsigned_t v) { return Add(v) != nullptr; }
  bool number_float(json::number_float_t v, const json::string_t&) { return Add(v) != nullptr; }
  bool string(json::string_t& v) { return Add(std::move(v)) != nullptr; }
  bool binary(json::binary_t&) { return false; }  // JSON text has no binary values
  bool start_object(size_t) { return Open(json::object()); }
  bool start_array(size_t) { return Open(json::array()); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }

  bool key(json::string_t& k) {
    Frame& top = stack_.back();
    size_t end = static_cast<size_t>(*read_to_ - text_.data());  // just past the closing quote
    auto [it, inserted] = top.value->get_ref<json::object_t&>().emplace(k, nullptr);
    if (!inserted) {
      error_ = Position(text_, OpeningQuote(text_, end - 1)) + ": mapping key \"" + k +
               "\" already defined at " + Position(text_, FirstKey(top, k));
      return false;
    }
    top.key_ends.push_back(end);
    slot_ = &it->second;
    return true;
  }

  bool parse_error(size_t, const std::string&, const json::exception& e) {
    error_ = e.what();
    return false;
  }

 private:
  struct Frame {
    json* value;
    std::vector<size_t> key_ends;  // for objects: where each key's text ends, in order
  };

  // Places `v` where the next value goes; the placed value, or nullptr when it cannot be placed.
  json* Add(json v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    json& top = *stack_.back().value;
    if (top.is_array()) {
      top.push_back(std::move(v));
      return &top.back();
    }
    *slot_ = std::move(v);
    return slot_;
  }

  bool Open(json container) {
    if (stack_.size() > kMaxDepth) {
      error_ = "JSON nested deeper than " + std::to_string(kMaxDepth) + " levels";
      return false;
    }
    // A container in an array stays where it is: the array grows only after it is closed.
    stack_.push_back({Add(std::move(container)), {}});
    return true;
  }

  bool Close() {
    stack_.pop_back();
    return true;
  }

  // Where the first occurrence of key `k` in `frame` begins (only on the error path: the keys'
  // texts are decoded again, escapes and all).
  size_t FirstKey(const Frame& frame, const std::string& k) const {
    for (size_t end : frame.key_ends) {
      size_t open = OpeningQuote(text_, end - 1);
      json decoded = json::parse(text_.substr(open, end - open), nullptr, false);
      if (decoded.is_string() && decoded.get_ref<const std::string&>() == k) return open;
    }
    return 0;
  }

  std::string_view text_;
  const char** read_to_;
  json root_;
  std::vector<Frame> stack_;
  json* slot_ = nullptr;  // in the innermost object: the value of the last key
  std::string error_;
};

}  // namespace

std::optional<json> ParseJson(std::string_view text, std::string* error) {
  const char* read_to = text.data();
  StrictJsonBuilder builder(text, &read_to);
  TrackingIterator first(text.data(), &read_to), last(text.data() + text.size(), &read_to);
  if (!json::sax_parse(first, last, &builder)) {
    *error = builder.error().empty() ? "invalid JSON" : builder.error();
    return std::nullopt;
  }
  return std::move(builder.result());
}

}  // namespace canaryd::api

#include "api/json_node.h"

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

std::optional<json> ParseJson(std::string_view text, std::string* error) {
  // nlohmann's parser is iterative, but walking the result (dump, conversions) recurses: values
  // nested deeper than a resource can be are dropped while parsing and the input refused.
  constexpr int kMaxDepth = 100;
  bool too_deep = false;
  json::parser_callback_t limit = [&too_deep](int depth, json::parse_event_t, json&) {
    if (depth > kMaxDepth) {
      too_deep = true;
      return false;
    }
    return true;
  };
  json j = json::parse(text, limit, /*allow_exceptions=*/false);
  if (too_deep) {
    *error = "JSON nested deeper than " + std::to_string(kMaxDepth) + " levels";
    return std::nullopt;
  }
  if (j.is_discarded()) {
    // Parse again with exceptions for a message with the position.
    try {
      json ignored = json::parse(text, limit);
      (void)ignored;
    } catch (const json::parse_error& e) {
      *error = e.what();
      return std::nullopt;
    } catch (const std::exception& e) {
      *error = e.what();
      return std::nullopt;
    }
    *error = "invalid JSON";
    return std::nullopt;
  }
  return j;
}

}  // namespace canaryd::api

#include "config/yaml_reader.h"

#include "config/flow_scalar_quoter.h"

#include <yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iterator>
#include <limits>
#include <optional>
#include <sstream>
#include <unordered_map>

namespace canaryd::config {
namespace {

Mark ToMark(const yaml_mark_t& m) {
  return Mark{static_cast<int>(m.line) + 1, static_cast<int>(m.column) + 1};
}

// Thrown by the builder to stop parsing; caught in ParseDocuments.
struct StopParsing {
  Mark mark;
  std::string message;
};

bool IsDigits(std::string_view s, int base) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= '0' && c <= '9' && (c - '0') < base) ||
              (base == 16 && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
    if (!ok) return false;
  }
  return true;
}

std::optional<Node> ResolveInt(std::string_view s, Mark mark) {
  std::string_view body = s;
  bool negative = false;
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  int base = 10;
  if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'o')) {
    if (s[0] == '-' || s[0] == '+') return std::nullopt;  // 1.2 core: no sign on 0x/0o
    base = body[1] == 'x' ? 16 : 8;
    body.remove_prefix(2);
  }
  if (!IsDigits(body, base)) return std::nullopt;
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), v, base);
  if (ec != std::errc() || ptr != body.data() + body.size()) {
    // Too large for 64 bits: keep it as a number, like JSON does.
    return Node::Float(std::stod(std::string(s)), mark);
  }
  if (negative) {
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1) {
      return Node::Float(-static_cast<double>(v), mark);
    }
    return Node::Int(static_cast<int64_t>(0 - v), mark);
  }
  if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return Node::Float(static_cast<double>(v), mark);
  }
  return Node::Int(static_cast<int64_t>(v), mark);
}

bool LooksLikeFloat(std::string_view s) {
  // [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  size_t int_digits = 0, frac_digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++int_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++frac_digits;
  }
  if (int_digits + frac_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == s.size();
}

// Builds Nodes from libyaml's parse events, with the checks YAML itself leaves to the
// application: duplicate keys, node and depth limits, alias expansion budget, merge keys.
class Builder {
 public:
  // `skip`: documents already handed to on_document by an earlier pass over the same text,
  // not handed over again. `quoter` maps positions of a quoted copy back to the original.
  Builder(const ParseLimits& limits, const std::function<void(Document&&)>* on_document, int skip,
          const FlowScalarQuoter* quoter)
      : limits_(limits), on_document_(on_document), skip_(skip), quoter_(quoter) {}

  std::vector<Document> TakeDocuments() { return std::move(documents_); }
  int documents_handed_over() const { return document_count_; }

  // Consumes one event; throws StopParsing on a problem.
  void Handle(const yaml_event_t& ev) {
    Mark m = quoter_->ToOriginal(ToMark(ev.start_mark));
    switch (ev.type) {
      case YAML_DOCUMENT_START_EVENT:
        depth_ = 0;
        anchors_.clear();
        doc_start_ = m;
        have_root_ = false;
        break;
      case YAML_DOCUMENT_END_EVENT:
        if (have_root_ && !root_.is_null()) {
          Document doc{std::move(root_), doc_start_, document_count_++};
          if (on_document_ != nullptr) {
            if (doc.index >= skip_) (*on_document_)(std::move(doc));
          } else {
            documents_.push_back(std::move(doc));
          }
        }
        root_ = Node();
        have_root_ = false;
        break;
      case YAML_ALIAS_EVENT: {
        auto it = anchors_.find(reinterpret_cast<const char*>(ev.data.alias.anchor));
        if (it == anchors_.end()) throw StopParsing{m, "unknown anchor"};
        CountNodes(it->second.CountNodes(), m, "document contains excessive aliasing");
        Node copy = it->second;
        copy.set_mark(m);
        Emit(std::move(copy), nullptr, /*plain=*/false);
        break;
      }
      case YAML_SCALAR_EVENT: {
        CountNodes(1, m, "document has too many nodes");
        const auto& sc = ev.data.scalar;
        std::string value(reinterpret_cast<const char*>(sc.value), sc.length);
        std::string_view tag = sc.tag ? reinterpret_cast<const char*>(sc.tag) : "";
        bool plain = sc.style == YAML_PLAIN_SCALAR_STYLE && tag.empty();
        // The common case, a plain or quoted string used as a map key, needs no Node.
        if (sc.anchor == nullptr && depth_ > 0 && Top().is_map && !Top().have_key &&
            (tag.empty() || tag == "tag:yaml.org,2002:str")) {
          bool quoted_or_text = !plain || value.empty() || !LooksScalarTyped(value);
          if (quoted_or_text) {
            SetKey(std::move(value), m, plain);
            break;
          }
        }
        Node n;
        if (tag == "tag:yaml.org,2002:str" || (tag.empty() && !plain)) {
          n = Node::String(std::move(value), m);
        } else if (tag.empty() || tag == "tag:yaml.org,2002:int" ||
                   tag == "tag:yaml.org,2002:float" || tag == "tag:yaml.org,2002:bool" ||
                   tag == "tag:yaml.org,2002:null" || tag == "!") {
          n = ResolvePlainScalar(value, m);
        } else {
          throw StopParsing{m, "unsupported YAML tag \"" + std::string(tag) + "\""};
        }
        Emit(std::move(n), sc.anchor, plain);
        break;
      }
      case YAML_SEQUENCE_START_EVENT:
        Push(false, m, ev.data.sequence_start.anchor);
        break;
      case YAML_MAPPING_START_EVENT:
        Push(true, m, ev.data.mapping_start.anchor);
        break;
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT:
        Pop();
        break;
      default:
        break;
    }
  }

 private:
  // One open sequence or map. Frames are reused by depth, so their vectors keep their capacity
  // from one container to the next and each finished container is allocated once, exactly.
  struct Frame {
    bool is_map = false;
    Mark mark;
    std::string anchor;
    std::vector<Node> items;
    std::vector<Node::Entry> entries;
    // For maps: the pending key (set after the key scalar, consumed by the value).
    bool have_key = false;
    bool key_is_merge = false;
    std::string key;
    Mark key_mark;
    std::vector<Node> merges;  // values of `<<` keys, applied at the end of the map
  };

  Frame& Top() { return stack_[depth_ - 1]; }

  // Whether a plain scalar would resolve to something other than a string (a number, a bool,
  // null): such keys take the general path so that `80:` becomes the key "80" through the
  // same rules as values.
  static bool LooksScalarTyped(const std::string& s) {
    char c = s[0];
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == '~' || c == 't' ||
           c == 'T' || c == 'f' || c == 'F' || c == 'n' || c == 'N' || c == '<';
  }

  void CountNodes(size_t n, Mark mark, const char* what) {
    nodes_ += n;
    if (nodes_ > limits_.max_nodes) {
      throw StopParsing{
          mark, std::string(what) + " (more than " + std::to_string(limits_.max_nodes) + " nodes)"};
    }
  }

  void Push(bool is_map, Mark mark, const yaml_char_t* anchor) {
    CountNodes(1, mark, "document has too many nodes");
    if (depth_ >= limits_.max_depth) {
      throw StopParsing{
          mark, "document is nested deeper than " + std::to_string(limits_.max_depth) + " levels"};
    }
    if (static_cast<size_t>(depth_) == stack_.size()) stack_.emplace_back();
    Frame& f = stack_[depth_++];
    f.is_map = is_map;
    f.mark = mark;
    f.anchor.clear();
    if (anchor) f.anchor = reinterpret_cast<const char*>(anchor);
    f.items.clear();
    f.entries.clear();
    f.merges.clear();
    f.have_key = false;
  }

  void Pop() {
    Frame& f = Top();
    if (f.is_map) ApplyMerges(f);
    Node n = f.is_map ? Node::Map(f.mark) : Node::Seq(f.mark);
    if (f.is_map) {
      n.entries().reserve(f.entries.size());
      std::move(f.entries.begin(), f.entries.end(), std::back_inserter(n.entries()));
    } else {
      n.items().reserve(f.items.size());
      std::move(f.items.begin(), f.items.end(), std::back_inserter(n.items()));
    }
    std::string anchor = std::move(f.anchor);
    --depth_;
    Emit(std::move(n), anchor.empty() ? nullptr : anchor.c_str(), /*plain=*/false);
  }

  void ApplyMerges(Frame& f) {
    for (Node& merged : f.merges) {
      std::vector<Node*> sources;
      if (merged.is_map()) {
        sources.push_back(&merged);
      } else if (merged.is_seq()) {
        for (Node& item : merged.items()) {
          if (!item.is_map()) throw StopParsing{item.mark(), "merge key \"<<\" needs maps"};
          sources.push_back(&item);
        }
      } else {
        throw StopParsing{merged.mark(), "merge key \"<<\" needs a map or a list of maps"};
      }
      for (Node* src : sources) {
        for (Node::Entry& e : src->entries()) {
          bool present = false;
          for (const Node::Entry& own : f.entries) present |= own.key == e.key;
          if (!present) f.entries.push_back(e);
        }
      }
    }
  }

  void SetKey(std::string key, Mark mark, bool plain) {
    Frame& top = Top();
    top.key = std::move(key);
    top.key_mark = mark;
    top.key_is_merge = plain && top.key == "<<";
    top.have_key = true;
    if (top.key_is_merge) return;
    for (const Node::Entry& e : top.entries) {
      if (e.key == top.key) {
        throw StopParsing{mark, "mapping key \"" + top.key + "\" already defined at line " +
                                    std::to_string(e.key_mark.line)};
      }
    }
  }

  void Emit(Node n, const void* anchor, bool plain) {
    if (anchor != nullptr) anchors_[reinterpret_cast<const char*>(anchor)] = n;
    if (depth_ == 0) {
      root_ = std::move(n);
      have_root_ = true;
      return;
    }
    Frame& top = Top();
    if (!top.is_map) {
      top.items.push_back(std::move(n));
      return;
    }
    if (!top.have_key) {
      if (n.is_map() || n.is_seq()) {
        throw StopParsing{n.mark(), "map keys must be strings, not " + std::string(n.type_name())};
      }
      SetKey(ScalarText(n), n.mark(), plain);
      return;
    }
    top.have_key = false;
    if (top.key_is_merge) {
      top.merges.push_back(std::move(n));
      return;
    }
    top.entries.push_back(Node::Entry{std::move(top.key), top.key_mark, std::move(n)});
  }

  static std::string ScalarText(const Node& n) {
    switch (n.type()) {
      case Node::Type::kString:
        return n.as_string();
      case Node::Type::kBool:
        return n.as_bool() ? "true" : "false";
      case Node::Type::kInt:
        return std::to_string(n.as_int());
      case Node::Type::kFloat: {
        std::ostringstream os;
        os << n.as_double();
        return os.str();
      }
      default:
        return "null";
    }
  }

  const ParseLimits& limits_;
  const std::function<void(Document&&)>* on_document_;
  int skip_ = 0;
  const FlowScalarQuoter* quoter_;
  int document_count_ = 0;
  std::vector<Document> documents_;
  std::vector<Frame> stack_;
  int depth_ = 0;
  std::unordered_map<std::string, Node> anchors_;
  Node root_;
  bool have_root_ = false;
  Mark doc_start_;
  size_t nodes_ = 0;
};

// One pass of libyaml over quoter.text(). On the error FlowScalarQuoter works around, sets
// *quote_at to where the scalar starts (in quoter.text()).
ParseResult ParseOnce(const FlowScalarQuoter& quoter, const ParseLimits& limits,
                      const std::function<void(Document&&)>& on_document, int* handed_over,
                      std::optional<Mark>* quote_at) {
  ParseResult result;
  std::string_view text = quoter.text();
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) {
    result.ok = false;
    result.error = {Mark{}, "out of memory"};
    return result;
  }
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());
  Builder builder(limits, on_document ? &on_document : nullptr, *handed_over, &quoter);
  try {
    while (true) {
      yaml_event_t event;
      if (!yaml_parser_parse(&parser, &event)) {
        std::string message = parser.problem ? parser.problem : "malformed YAML";
        size_t at = parser.problem_mark.index;
        bool tab = at < text.size() && text[at] == '\t';
        if (tab) message = "a tab character cannot indent YAML: use spaces";
        if (parser.context && !tab) {
          Mark at = quoter.ToOriginal(ToMark(parser.context_mark));
          message += " (" + std::string(parser.context) + " that starts at line " +
                     std::to_string(at.line) + " column " + std::to_string(at.column) + ")";
          if (parser.problem != nullptr && parser.flow_level > 0 &&
              std::string_view(parser.problem) == "found unexpected ':'" &&
              std::string_view(parser.context) == "while scanning a plain scalar") {
            *quote_at = ToMark(parser.context_mark);
          }
        }
        throw StopParsing{quoter.ToOriginal(ToMark(parser.problem_mark)), message};
      }
      bool done = event.type == YAML_STREAM_END_EVENT;
      try {
        builder.Handle(event);
      } catch (...) {
        yaml_event_delete(&event);
        throw;
      }
      yaml_event_delete(&event);
      if (done) break;
    }
  } catch (const StopParsing& stop) {
    result.ok = false;
    result.error = {stop.mark, stop.message};
  }
  yaml_parser_delete(&parser);
  *handed_over = std::max(*handed_over, builder.documents_handed_over());
  if (result.ok) result.documents = builder.TakeDocuments();
  return result;
}

}  // namespace

Node ResolvePlainScalar(const std::string& s, Mark mark) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return Node::Null(mark);
  if (s == "true" || s == "True" || s == "TRUE") return Node::Bool(true, mark);
  if (s == "false" || s == "False" || s == "FALSE") return Node::Bool(false, mark);
  char c = s[0];
  bool numeric_start = (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.';
  if (!numeric_start) return Node::String(s, mark);
  if (auto i = ResolveInt(s, mark)) return *i;
  if (LooksLikeFloat(s)) return Node::Float(std::strtod(s.c_str(), nullptr), mark);
  if (s == ".inf" || s == ".Inf" || s == ".INF" || s == "+.inf" || s == "+.Inf" || s == "+.INF") {
    return Node::Float(std::numeric_limits<double>::infinity(), mark);
  }
  if (s == "-.inf" || s == "-.Inf" || s == "-.INF") {
    return Node::Float(-std::numeric_limits<double>::infinity(), mark);
  }
  if (s == ".nan" || s == ".NaN" || s == ".NAN") {
    return Node::Float(std::numeric_limits<double>::quiet_NaN(), mark);
  }
  return Node::String(s, mark);
}

ParseResult ParseDocuments(std::string_view text, const ParseLimits& limits) {
  return ParseDocuments(text, limits, nullptr);
}

ParseResult ParseDocuments(std::string_view text, const ParseLimits& limits,
                           const std::function<void(Document&&)>& on_document) {
  ParseResult result;
  if (text.size() > limits.max_bytes) {
    result.ok = false;
    result.error = {Mark{1, 1}, "input is " + std::to_string(text.size()) +
                                    " bytes, more than the limit of " +
                                    std::to_string(limits.max_bytes)};
    return result;
  }
  if (text.find('\0') != std::string_view::npos) {
    result.ok = false;
    result.error = {Mark{1, 1}, "input contains a NUL byte: not a YAML or JSON text"};
    return result;
  }
  // A pass that stops on libyaml's "found unexpected ':'" in a flow scalar quotes that scalar
  // and starts again (see flow_scalar_quoter.h), a bounded number of times.
  constexpr int kMaxQuotedScalars = 100;
  FlowScalarQuoter quoter(text);
  int handed_over = 0;
  for (int pass = 0;; ++pass) {
    std::optional<Mark> quote_at;
    result = ParseOnce(quoter, limits, on_document, &handed_over, &quote_at);
    if (result.ok || !quote_at || pass == kMaxQuotedScalars || !quoter.QuoteScalarAt(*quote_at)) {
      return result;
    }
  }
}

}  // namespace canaryd::config

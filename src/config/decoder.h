// Decoder: strict decoding of a Node into a typed struct through its Describe() description, as
// `kubectl apply --validate=strict` would: unknown fields, wrong types, out-of-range numbers,
// unsupported enum values and missing required fields are errors, all of them reported with the
// field path and position. It also records the position of every decoded field in a SourceMap so
// that later validation can point at the line and column. A field that is set but marked
// not_served (reflect.h) gets a warning with its path and position, also kept in `not_served`
// when given (the Resource keeps them, for the route compiler's /stats/config warnings). One
// Decoder per walk; not thread-safe.
#pragma once

#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "config/diagnostic.h"
#include "config/duration.h"
#include "config/field_path.h"
#include "config/node.h"
#include "config/reflect.h"
#include "config/source_map.h"

namespace canaryd::config {

class Decoder {
 public:
  Decoder(Diagnostics& diagnostics, SourceMap* positions, std::string root_path = "",
          std::vector<Diagnostic>* not_served = nullptr)
      : diags_(diagnostics),
        positions_(positions),
        path_(std::move(root_path)),
        not_served_(not_served) {}

  FieldPath& path() { return path_; }

  template <class T>
  void Decode(const Node& n, T& out, const FieldOptions& options = {});

  // Decodes the fields of a map node into a described struct (the struct's own entry point).
  template <class T>
  void DecodeMessage(const Node& n, T& out);

  void Error(Mark mark, std::string message) {
    diags_.Error(mark, path_.str(), std::move(message));
  }

 private:
  template <class T>
  friend class FieldVisitor;

  void Record(Mark mark) {
    if (positions_ != nullptr) positions_->Record(path_.str(), mark);
  }
  void TypeError(const Node& n, const char* expected) {
    Error(n.mark(), std::string("expected ") + expected + ", got " + n.type_name());
  }
  void CheckEnum(const Node& n, const std::string& value, const FieldOptions& o);
  // Warns when `n` sets a field (or, with not_served_values, a value) that is not served.
  void CheckServed(const Node& n, const FieldOptions& o);
  void ReportUnknownField(const Node::Entry& e, const std::vector<std::string_view>& known);
  void DecodeDuration(const Node& n, Duration& out);
  void DecodeIntOrString(const Node& n, IntOrString& out);
  // Reads an integer in [lo, hi]; returns false (after reporting) when n is not one.
  bool DecodeInteger(const Node& n, long double lo, long double hi, int64_t* out,
                     uint64_t* out_unsigned);

  Diagnostics& diags_;
  SourceMap* positions_;
  FieldPath path_;
  std::vector<Diagnostic>* not_served_;
};

// Collects the field names of a described struct (for "did you mean" suggestions).
struct FieldNameCollector {
  std::vector<std::string_view> names;
  template <class F>
  void operator()(const char* name, F&, FieldOptions = {}) {
    names.push_back(name);
  }
};

// Visits the fields of one described struct for Decoder::DecodeMessage. Allocation-free for
// maps of up to 64 entries, since it runs for every object of every document.
template <class T>
class FieldVisitor {
 public:
  FieldVisitor(Decoder& d, const Node& map) : d_(d), map_(map) {
    if (map.entries().size() > 64) overflow_.resize(map.entries().size());
  }

  template <class F>
  void operator()(const char* name, F& field, const FieldOptions& options = {}) {
    const auto& entries = map_.entries();
    for (size_t i = 0; i < entries.size(); ++i) {
      if (Used(i) || entries[i].key != name) continue;
      MarkUsed(i);
      auto scope = d_.path_.Field(name);
      if (entries[i].value.is_null()) {
        if (options.required) d_.Error(entries[i].value.mark(), "required field is missing");
        return;
      }
      if (options.not_served != nullptr) d_.CheckServed(entries[i].value, options);
      d_.Decode(entries[i].value, field, options);
      return;
    }
    if (options.required) {
      auto scope = d_.path_.Field(name);
      d_.Error(map_.mark(), "required field is missing");
    }
  }

  void ReportUnknown(T& out) {
    const auto& entries = map_.entries();
    FieldNameCollector known;
    for (size_t i = 0; i < entries.size(); ++i) {
      if (Used(i)) continue;
      if (known.names.empty()) Describe(known, out);
      d_.ReportUnknownField(entries[i], known.names);
    }
  }

 private:
  bool Used(size_t i) const { return i < 64 ? (used_ >> i) & 1 : overflow_[i]; }
  void MarkUsed(size_t i) {
    if (i < 64) {
      used_ |= uint64_t{1} << i;
    } else {
      overflow_[i] = true;
    }
  }

  Decoder& d_;
  const Node& map_;
  uint64_t used_ = 0;
  std::vector<bool> overflow_;
};

template <class T>
void Decoder::DecodeMessage(const Node& n, T& out) {
  Record(n.mark());
  if (!n.is_map()) return TypeError(n, "object");
  FieldVisitor<T> visitor(*this, n);
  Describe(visitor, out);
  visitor.ReportUnknown(out);
}

template <class T>
void Decoder::Decode(const Node& n, T& out, const FieldOptions& options) {
  if constexpr (IsOptional<T>::value) {
    if (n.is_null()) {
      out.reset();
      return;
    }
    out.emplace();
    Decode(n, *out, options);
  } else if constexpr (std::is_same_v<T, std::string>) {
    Record(n.mark());
    if (!n.is_string()) return TypeError(n, "string");
    out = n.as_string();
    CheckEnum(n, out, options);
  } else if constexpr (std::is_same_v<T, bool>) {
    Record(n.mark());
    if (!n.is_bool()) return TypeError(n, "boolean");
    out = n.as_bool();
  } else if constexpr (std::is_integral_v<T>) {
    Record(n.mark());
    int64_t s = 0;
    uint64_t u = 0;
    if (!DecodeInteger(n, static_cast<long double>(std::numeric_limits<T>::min()),
                       static_cast<long double>(std::numeric_limits<T>::max()), &s, &u)) {
      return;
    }
    out = std::is_signed_v<T> ? static_cast<T>(s) : static_cast<T>(u);
  } else if constexpr (std::is_floating_point_v<T>) {
    Record(n.mark());
    if (!n.is_number()) return TypeError(n, "number");
    out = static_cast<T>(n.as_double());
  } else if constexpr (std::is_same_v<T, Duration>) {
    Record(n.mark());
    DecodeDuration(n, out);
  } else if constexpr (std::is_same_v<T, IntOrString>) {
    Record(n.mark());
    DecodeIntOrString(n, out);
  } else if constexpr (std::is_same_v<T, Node>) {
    Record(n.mark());
    out = n;
  } else if constexpr (IsVector<T>::value) {
    Record(n.mark());
    if (!n.is_seq()) return TypeError(n, "array");
    out.clear();
    out.resize(n.items().size());
    for (size_t i = 0; i < n.items().size(); ++i) {
      auto scope = path_.Index(i);
      Decode(n.items()[i], out[i], options);
    }
  } else if constexpr (IsStringMap<T>::value) {
    Record(n.mark());
    if (!n.is_map()) return TypeError(n, "object");
    out.clear();
    for (const Node::Entry& e : n.entries()) {
      auto scope = path_.Key(e.key);
      Decode(e.value, out[e.key], options);
      Record(e.key_mark);
    }
  } else {
    static_assert(Described<T>, "a field type needs a Describe() overload");
    DecodeMessage(n, out);
  }
}

}  // namespace canaryd::config

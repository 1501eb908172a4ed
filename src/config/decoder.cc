#include "config/decoder.h"

#include <algorithm>
#include <cctype>

namespace canaryd::config {
namespace {

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

void Decoder::CheckEnum(const Node& n, const std::string& value, const FieldOptions& o) {
  if (o.enum_values.empty()) return;
  if (std::find(o.enum_values.begin(), o.enum_values.end(), value) != o.enum_values.end()) return;
  std::string msg = "unsupported value \"" + value + "\": must be one of ";
  for (size_t i = 0; i < o.enum_values.size(); ++i) {
    if (i > 0) msg += ", ";
    msg += o.enum_values[i];
  }
  Error(n.mark(), std::move(msg));
}

void Decoder::CheckServed(const Node& n, const FieldOptions& o) {
  if ((n.is_seq() && n.items().empty()) || (n.is_map() && n.entries().empty())) return;
  std::string message;
  if (o.not_served_values.empty()) {
    message = NotServedMessage(o.not_served);
  } else {
    if (!n.is_string()) return;  // the type error is reported by Decode
    std::string value = Lower(n.as_string());
    for (std::string_view v : o.not_served_values) {
      std::string pattern = Lower(v);
      bool prefix = !pattern.empty() && pattern.back() == '*';
      if (prefix) pattern.pop_back();
      if (prefix ? value.rfind(pattern, 0) == 0 : value == pattern) {
        message = NotServedMessage(o.not_served, n.as_string());
        break;
      }
    }
    if (message.empty()) return;
  }
  Diagnostic d{Severity::kWarning, "", n.mark(), path_.str(), std::move(message)};
  if (not_served_ != nullptr) not_served_->push_back(d);
  diags_.Add(std::move(d));
}

void Decoder::ReportUnknownField(const Node::Entry& e, const std::vector<std::string_view>& known) {
  auto scope = path_.Field(e.key);
  std::string msg = "unknown field \"" + e.key + "\"";
  std::string_view best;
  size_t best_distance = 3;
  for (std::string_view k : known) {
    size_t d = Lower(k) == Lower(e.key) ? 0 : EditDistance(k, e.key);
    if (d < best_distance) {
      best_distance = d;
      best = k;
    }
  }
  if (!best.empty()) msg += " (did you mean \"" + std::string(best) + "\"?)";
  Error(e.key_mark, std::move(msg));
}

void Decoder::DecodeDuration(const Node& n, Duration& out) {
  if (!n.is_string()) return TypeError(n, "duration string such as \"1.5s\" or \"100ms\"");
  std::string why;
  auto nanos = ParseDuration(n.as_string(), &why);
  if (!nanos) {
    Error(n.mark(), "invalid duration \"" + n.as_string() + "\": " + why);
    return;
  }
  out.nanos = *nanos;
  out.text = n.as_string();
}

void Decoder::DecodeIntOrString(const Node& n, IntOrString& out) {
  if (n.is_string()) {
    out.is_int = false;
    out.string_value = n.as_string();
    return;
  }
  int64_t v = 0;
  uint64_t u = 0;
  if (!n.is_number()) return TypeError(n, "integer or string");
  if (!DecodeInteger(n, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max(),
                     &v, &u)) {
    return;
  }
  out.is_int = true;
  out.int_value = v;
}

bool Decoder::DecodeInteger(const Node& n, long double lo, long double hi, int64_t* out,
                            uint64_t* out_unsigned) {
  long double v;
  if (n.is_int()) {
    v = static_cast<long double>(n.as_int());
  } else if (n.type() == Node::Type::kFloat && std::isfinite(n.as_double()) &&
             std::floor(n.as_double()) == n.as_double()) {
    v = n.as_double();  // JSON has one number type: 80.0 is the integer 80
  } else {
    TypeError(n, "integer");
    return false;
  }
  if (v < lo || v > hi) {
    char buf[128];
    snprintf(buf, sizeof buf, "must be between %.0Lf and %.0Lf", lo, hi);
    Error(n.mark(), buf);
    return false;
  }
  *out = static_cast<int64_t>(v);
  *out_unsigned = v < 0 ? 0 : static_cast<uint64_t>(v);
  return true;
}

}  // namespace canaryd::config

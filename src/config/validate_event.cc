// core/v1 Event rules, after Kubernetes' apis/core/validation (events.go): the namespace of the
// involved object is the event's (an event about a cluster-scoped object lives in default); an
// event with eventTime (the events.k8s.io form) names its reporting controller and instance,
// action and reason within Kubernetes' length limits; timestamps are RFC 3339.
#include <cctype>

#include "config/validate_kinds.h"

namespace canaryd::config {
namespace {

constexpr size_t kReportingInstanceLimit = 128;
constexpr size_t kActionLimit = 128;
constexpr size_t kReasonLimit = 128;
constexpr size_t kNoteLimit = 1024;

bool Digits(std::string_view s, size_t at, size_t n) {
  if (at + n > s.size()) return false;
  for (size_t i = at; i < at + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// 2006-01-02T15:04:05[.999999][Z|+07:00], as Go's time.RFC3339 parser accepts it.
bool IsRfc3339(std::string_view s) {
  if (!Digits(s, 0, 4) || s.size() < 20 || s[4] != '-' || !Digits(s, 5, 2) || s[7] != '-' ||
      !Digits(s, 8, 2) || (s[10] != 'T' && s[10] != 't') || !Digits(s, 11, 2) || s[13] != ':' ||
      !Digits(s, 14, 2) || s[16] != ':' || !Digits(s, 17, 2)) {
    return false;
  }
  size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    size_t start = ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == start || i - start > 9) return false;
  }
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) return i + 1 == s.size();
  return i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && Digits(s, i + 1, 2) &&
         s[i + 3] == ':' && Digits(s, i + 4, 2);
}

void CheckTime(Checker& c, std::string_view field, const std::optional<std::string>& t) {
  if (t && !t->empty() && !IsRfc3339(*t)) {
    c.ErrorAt(field, "Invalid value: \"" + *t + "\": must be an RFC 3339 time");
  }
}

void CheckRequired(Checker& c, std::string_view field, const std::optional<std::string>& v,
                   size_t limit) {
  if (!v || v->empty()) {
    c.ErrorAt(field, "Required value");
  } else if (v->size() > limit) {
    c.ErrorAt(field,
              "Invalid value: \"\": can have at most " + std::to_string(limit) + " characters");
  }
}

}  // namespace

void ValidateEvent(Checker& c, const EventBody& e, const ObjectMeta& meta) {
  const std::string involved_ns = e.involved_object.namespace_.value_or("");
  const std::string& ns = meta.namespace_;
  const std::string mismatch =
      "Invalid value: \"" + involved_ns + "\": does not match event.namespace";
  const bool new_style = e.event_time && !e.event_time->empty();
  if (!new_style) {
    if (involved_ns.empty() ? ns != "default" : ns != involved_ns) {
      c.ErrorAt("involvedObject.namespace", mismatch);
    }
  } else {
    if (involved_ns.empty() && ns != "default" && ns != "kube-system") {
      c.ErrorAt("involvedObject.namespace", mismatch);
    }
    if (!e.reporting_component || e.reporting_component->empty()) {
      c.ErrorAt("reportingComponent", "Required value");
    } else if (std::string why = CheckLabelKey(*e.reporting_component); !why.empty()) {
      c.ErrorAt("reportingComponent", why);
    }
    CheckRequired(c, "reportingInstance", e.reporting_instance, kReportingInstanceLimit);
    CheckRequired(c, "action", e.action, kActionLimit);
    CheckRequired(c, "reason", e.reason, kReasonLimit);
    if (e.message && e.message->size() > kNoteLimit) {
      c.ErrorAt("message", "Invalid value: \"\": can have at most " + std::to_string(kNoteLimit) +
                               " characters");
    }
  }
  CheckTime(c, "firstTimestamp", e.first_timestamp);
  CheckTime(c, "lastTimestamp", e.last_timestamp);
  CheckTime(c, "eventTime", e.event_time);
  if (e.series) {
    auto scope = c.path().Field("series");
    CheckTime(c, "lastObservedTime", e.series->last_observed_time);
  }
}

}  // namespace canaryd::config

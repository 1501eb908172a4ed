#include "api/field_labels.h"

namespace canaryd::api {
namespace {

constexpr FieldLabel kEvent[] = {
    {"involvedObject.kind", "involvedObject.kind"},
    {"involvedObject.namespace", "involvedObject.namespace"},
    {"involvedObject.name", "involvedObject.name"},
    {"involvedObject.uid", "involvedObject.uid"},
    {"involvedObject.apiVersion", "involvedObject.apiVersion"},
    {"involvedObject.resourceVersion", "involvedObject.resourceVersion"},
    {"involvedObject.fieldPath", "involvedObject.fieldPath"},
    {"reason", "reason"},
    {"reportingComponent", "reportingComponent"},
    {"source", "source.component"},
    {"type", "type"},
};
// events.k8s.io/v1 serves the same labels (Kubernetes defines them on the stored object), read
// from its own field names.
constexpr FieldLabel kEventsEvent[] = {
    {"involvedObject.kind", "regarding.kind"},
    {"involvedObject.namespace", "regarding.namespace"},
    {"involvedObject.name", "regarding.name"},
    {"involvedObject.uid", "regarding.uid"},
    {"involvedObject.apiVersion", "regarding.apiVersion"},
    {"involvedObject.resourceVersion", "regarding.resourceVersion"},
    {"involvedObject.fieldPath", "regarding.fieldPath"},
    {"reason", "reason"},
    {"reportingComponent", "reportingController"},
    {"source", "deprecatedSource.component"},
    {"type", "type"},
};
constexpr FieldLabel kSecret[] = {{"type", "type"}};
constexpr FieldLabel kNamespace[] = {{"status.phase", "status.phase"}};
constexpr FieldLabel kService[] = {{"spec.clusterIP", "spec.clusterIP"},
                                   {"spec.type", "spec.type"}};
// Pods are never stored; their labels are served so that a selector kubectl users write for
// them gets the (empty) answer instead of an error.
constexpr FieldLabel kPod[] = {
    {"spec.nodeName", "spec.nodeName"},
    {"spec.restartPolicy", "spec.restartPolicy"},
    {"spec.schedulerName", "spec.schedulerName"},
    {"spec.serviceAccountName", "spec.serviceAccountName"},
    {"status.phase", "status.phase"},
    {"status.podIP", "status.podIP"},
    {"status.nominatedNodeName", "status.nominatedNodeName"},
};

}  // namespace

std::span<const FieldLabel> FieldLabelsOf(config::Kind kind) {
  switch (kind) {
    case config::Kind::kEvent:
      return kEvent;
    case config::Kind::kEventsEvent:
      return kEventsEvent;
    case config::Kind::kSecret:
      return kSecret;
    case config::Kind::kNamespace:
      return kNamespace;
    case config::Kind::kService:
      return kService;
    case config::Kind::kPod:
      return kPod;
    default:
      return {};
  }
}

}  // namespace canaryd::api

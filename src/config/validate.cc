#include "config/validate.h"

#include "config/validate_kinds.h"

namespace canaryd::config {

void ValidateResource(const Resource& r, Diagnostics& diags) {
  Checker c(r, diags);
  ValidateMetadata(c, r);
  switch (r.kind) {
    case Kind::kGateway:
      ValidateGateway(c, r.As<GatewaySpec>());
      break;
    case Kind::kVirtualService:
      ValidateStickyCanaryAnnotation(c, r.metadata);
      ValidateVirtualService(c, r.As<VirtualServiceSpec>());
      break;
    case Kind::kDestinationRule:
      ValidateDestinationRule(c, r.As<DestinationRuleSpec>());
      break;
    case Kind::kServiceEntry:
      ValidateServiceEntry(c, r.As<ServiceEntrySpec>());
      break;
    case Kind::kWorkloadEntry: {
      auto spec = c.path().Field("spec");
      ValidateWorkloadEntry(c, r.As<WorkloadEntrySpec>(), /*in_service_entry=*/false);
      break;
    }
    case Kind::kService:
      ValidateService(c, r.As<ServiceSpec>());
      break;
    case Kind::kNamespace:
      break;
    case Kind::kConfigMap:
      ValidateConfigMap(c, r.As<ConfigMapBody>());
      break;
    case Kind::kSecret:
      ValidateSecret(c, r.As<SecretBody>(), r.metadata);
      break;
    case Kind::kEvent:
      ValidateEvent(c, r.As<EventBody>(), r.metadata);
      break;
    case Kind::kCanary:
      ValidateCanary(c, r.As<CanarySpec>());
      break;
    case Kind::kDeployment:
      ValidateDeployment(c, r.As<DeploymentSpec>());
      break;
    case Kind::kReplicaSet:
      ValidateReplicaSet(c, r.As<ReplicaSetSpec>());
      break;
    case Kind::kPod:
      ValidatePod(c, r.As<PodSpec>());
      break;
    case Kind::kEndpoints:
      ValidateEndpoints(c, r.As<EndpointsBody>());
      break;
    case Kind::kEventsEvent:
    case Kind::kFlaggerCanary:
    case Kind::kReplicationController:
    case Kind::kPersistentVolumeClaim:
    case Kind::kPersistentVolume:
    case Kind::kStatefulSet:
    case Kind::kDaemonSet:
    case Kind::kJob:
    case Kind::kCronJob:
    case Kind::kIngress:
    case Kind::kSelfSubjectAccessReview:
    case Kind::kSelfSubjectRulesReview:
      break;  // never decoded into a Resource
  }
}

}  // namespace canaryd::config

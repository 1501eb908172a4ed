// The per-kind validators behind ValidateResource. Internal to src/config; each reports through
// the Checker, whose path starts at the resource root.
#pragma once

#include "config/validate_util.h"

namespace canaryd::config {

void ValidateMetadata(Checker& c, const Resource& r);
// The canaryd.io/sticky-canary annotation (config/sticky_canary.h).
void ValidateStickyCanaryAnnotation(Checker& c, const ObjectMeta& meta);
void ValidateVirtualService(Checker& c, const VirtualServiceSpec& vs);
void ValidateGateway(Checker& c, const GatewaySpec& gw);
void ValidateDestinationRule(Checker& c, const DestinationRuleSpec& dr);
void ValidateServiceEntry(Checker& c, const ServiceEntrySpec& se);
void ValidateWorkloadEntry(Checker& c, const WorkloadEntrySpec& we, bool in_service_entry);
void ValidateService(Checker& c, const ServiceSpec& svc);
void ValidateConfigMap(Checker& c, const ConfigMapBody& cm);
void ValidateSecret(Checker& c, const SecretBody& s, const ObjectMeta& meta);
void ValidateEvent(Checker& c, const EventBody& e, const ObjectMeta& meta);
void ValidateCanary(Checker& c, const CanarySpec& s);
void ValidateDeployment(Checker& c, const DeploymentSpec& d);
void ValidateReplicaSet(Checker& c, const ReplicaSetSpec& rs);
void ValidatePod(Checker& c, const PodSpec& pod);
void ValidateEndpoints(Checker& c, const EndpointsBody& ep);

}  // namespace canaryd::config

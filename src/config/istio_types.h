// Typed structs for Istio's networking API (networking.istio.io v1alpha3, v1beta1 and v1 share
// one schema): Gateway, VirtualService, DestinationRule, ServiceEntry, WorkloadEntry, with every
// field of the API reference, including the ones canaryd serves only later (flagged not_served,
// see reflect.h). One header per kind; include this one for all of them. Plain data: build on one
// thread, share read-only.
#pragma once

#include "config/destination_rule_types.h"
#include "config/gateway_types.h"
#include "config/istio_common_types.h"
#include "config/service_entry_types.h"
#include "config/virtual_service_types.h"

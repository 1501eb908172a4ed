#include "demo/demo_manifests.h"

#include <cstdio>

namespace canaryd::demo {
namespace {

std::string Deployment(const std::string& version, const std::string& env) {
  return "apiVersion: apps/v1\n"
         "kind: Deployment\n"
         "metadata:\n"
         "  name: web-" +
         version +
         "\n"
         "  labels: {app: web, version: " +
         version +
         "}\n"
         "spec:\n"
         "  replicas: 1\n"
         "  selector:\n"
         "    matchLabels: {app: web, version: " +
         version +
         "}\n"
         "  template:\n"
         "    metadata:\n"
         "      labels: {app: web, version: " +
         version +
         "}\n"
         "    spec:\n"
         "      containers:\n"
         "      - name: web-" +
         version +
         "\n"
         "        image: gardnera/canarytester:" +
         version +
         "\n"
         "        ports:\n"
         "        - containerPort: 80\n" +
         env;
}

std::string Service(const std::string& version) {
  return "apiVersion: v1\n"
         "kind: Service\n"
         "metadata:\n"
         "  name: web-" +
         version +
         "-service\n"
         "spec:\n"
         "  ports:\n"
         "  - name: \"80\"\n"
         "    port: 80\n"
         "  selector: {app: web, version: " +
         version + "}\n";
}

constexpr const char* kGateway =
    "apiVersion: networking.istio.io/v1alpha3\n"
    "kind: Gateway\n"
    "metadata:\n"
    "  name: web-gateway\n"
    "spec:\n"
    "  selector: {istio: ingressgateway}\n"
    "  servers:\n"
    "  - port: {number: 80, name: http, protocol: HTTP}\n"
    "    hosts: [\"*\"]\n";

std::string VirtualService(const std::string& route) {
  return "apiVersion: networking.istio.io/v1alpha3\n"
         "kind: VirtualService\n"
         "metadata:\n"
         "  name: web-virtualservice\n"
         "spec:\n"
         "  hosts: [\"*\"]\n"
         "  gateways: [web-gateway]\n"
         "  http:\n"
         "  - match:\n"
         "    - uri: {exact: /}\n"
         "    route:\n" +
         route;
}

}  // namespace

const char* const kWalkthroughFiles[6] = {
    "web-v1-deployment.yaml",
    "web-v2-deployment.yaml",
    "web-v1-service.yaml",
    "web-v2-service.yaml",
    "web-gateway-virtualservice.yaml",
    "web-gateway-virtualservice-90-10.yaml",
};

Manifest WalkthroughManifest(WalkthroughFile file) {
  std::string yaml;
  switch (file) {
    case kV1Deployment:
      yaml = Deployment("v1", "");
      break;
    case kV2Deployment:
      yaml = Deployment("v2", "");
      break;
    case kV1Service:
      yaml = Service("v1");
      break;
    case kV2Service:
      yaml = Service("v2");
      break;
    case kGatewayAndVirtualService:
      yaml = std::string(kGateway) + "---\n" +
             VirtualService("    - destination: {host: web-v1-service, port: {number: 80}}\n");
      break;
    case kNinetyTenVirtualService:
      yaml = std::string(kGateway) + "---\n" +
             VirtualService(
                 "    - destination: {host: web-v1-service, port: {number: 80}}\n"
                 "      weight: 90\n"
                 "    - destination: {host: web-v2-service, port: {number: 80}}\n"
                 "      weight: 10\n");
      break;
  }
  return {kWalkthroughFiles[file], yaml};
}

Manifest V3Manifest(double error_rate) {
  char rate[32];
  std::snprintf(rate, sizeof rate, "%g", error_rate);
  // The demo app reads ERROR_RATE: v3 is the faulty version act 3 rolls back.
  std::string env =
      "        env:\n        - {name: ERROR_RATE, value: \"" + std::string(rate) + "\"}\n";
  return {"web-v3.yaml", Deployment("v3", env) + "---\n" + Service("v3")};
}

Manifest CanaryManifest(const std::string& stable, const std::string& canary,
                        const std::string& interval) {
  std::string yaml =
      "apiVersion: canaryd.io/v1alpha1\n"
      "kind: Canary\n"
      "metadata:\n"
      "  name: web\n"
      "spec:\n"
      "  virtualService: web-virtualservice\n"
      "  stable: {host: " +
      stable +
      "}\n"
      "  canary: {host: " +
      canary +
      "}\n"
      "  analysis:\n"
      "    interval: " +
      interval +
      "\n"
      "    threshold: 2\n"
      "    stepWeights: [10, 25, 50]\n"
      "    minRequests: 10\n"
      "    metrics:\n"
      "    - name: request-success-rate\n"
      "      thresholdRange: {min: 99}\n"
      "      relativeToStable: {minDifference: -1}\n"
      "    - name: request-duration\n"
      "      thresholdRange: {max: 500}\n";
  return {"canary-" + canary + ".yaml", yaml};
}

}  // namespace canaryd::demo

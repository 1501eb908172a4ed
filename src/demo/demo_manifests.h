// The demo's manifests, embedded so that `canaryd demo` needs no file on disk: the walkthrough's
// resources (the Deployments web-v1 and web-v2 of gardnera/canarytester, their Services, the
// Gateway and the VirtualService, and its 90/10 form), written here to the same effect, and what
// the later acts add: the Canary from v1 to v2, and a v3 that answers a share of its requests with
// 503 and the Canary to it. With --seed-dir the walkthrough's own files are applied instead of
// the first six. Pure data: any thread.
#pragma once

#include <string>
#include <vector>

namespace canaryd::demo {

struct Manifest {
  std::string file;  // the name it is written and applied under
  std::string yaml;
};

// The walkthrough's files by their names in the walkthrough.
extern const char* const kWalkthroughFiles[6];
enum WalkthroughFile : int {
  kV1Deployment = 0,
  kV2Deployment,
  kV1Service,
  kV2Service,
  kGatewayAndVirtualService,
  kNinetyTenVirtualService,
};
Manifest WalkthroughManifest(WalkthroughFile file);

// web-v3: a Deployment whose app answers `error_rate` of its requests with 503, and its Service.
Manifest V3Manifest(double error_rate);

// The Canary `web` shifting web-virtualservice from `stable` to `canary` (Services), checking
// every `interval` (a duration such as 2s).
Manifest CanaryManifest(const std::string& stable, const std::string& canary,
                        const std::string& interval);

}  // namespace canaryd::demo

// The demo's embedded manifests validate without a warning, and the walkthrough's six are the
// walkthrough's own files to the same effect (the same objects once parsed, apart from the
// fields canaryd warns it does not serve: imagePullPolicy, restartPolicy's default).
#include "demo/demo_manifests.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "api/manifest_files.h"
#include "config/loader.h"
#include "testing/paths.h"

namespace canaryd::demo {
namespace {

void ExpectValid(const Manifest& m) {
  config::LoadResult r;
  config::LoadText(m.yaml, m.file, {}, r);
  EXPECT_FALSE(r.diagnostics.has_errors()) << m.file << "\n" << m.yaml;
  for (const auto& d : r.diagnostics.items()) ADD_FAILURE() << m.file << ": " << d.ToString();
  EXPECT_GT(r.resources.size(), 0u) << m.file;
}

TEST(DemoManifests, EveryOneValidatesWithoutAWarning) {
  for (int f = kV1Deployment; f <= kNinetyTenVirtualService; ++f) {
    ExpectValid(WalkthroughManifest(static_cast<WalkthroughFile>(f)));
  }
  ExpectValid(V3Manifest(0.2));
  ExpectValid(CanaryManifest("web-v1-service", "web-v2-service", "2s"));
}

TEST(DemoManifests, V3CarriesItsErrorRate) {
  EXPECT_NE(V3Manifest(0.25).yaml.find("{name: ERROR_RATE, value: \"0.25\"}"), std::string::npos);
}

// Drops what the embedded copies leave out on purpose.
nlohmann::json Comparable(nlohmann::json o) {
  if (o.value("kind", "") == "Deployment") {
    auto& spec = o["spec"]["template"]["spec"];
    spec.erase("restartPolicy");                                    // Always, the default
    for (auto& c : spec["containers"]) c.erase("imagePullPolicy");  // nothing is pulled
  }
  return o;
}

TEST(DemoManifests, TheWalkthroughsSixAreItsOwnFilesToTheSameEffect) {
  std::string shared = canaryd::testing::SharedDir();
  if (shared.empty()) GTEST_SKIP() << "../shared/seed is absent (as on a user's machine)";
  for (int f = kV1Deployment; f <= kNinetyTenVirtualService; ++f) {
    Manifest m = WalkthroughManifest(static_cast<WalkthroughFile>(f));
    api::ManifestFiles seed = api::ReadManifests({shared + "/seed/" + m.file}, false);
    api::ManifestFiles ours;
    api::ReadManifestText(m.yaml, m.file, ours);
    ASSERT_TRUE(seed.errors.empty()) << m.file;
    ASSERT_TRUE(ours.errors.empty()) << m.file;
    ASSERT_EQ(seed.objects.size(), ours.objects.size()) << m.file;
    for (size_t i = 0; i < seed.objects.size(); ++i) {
      EXPECT_EQ(Comparable(ours.objects[i].object), Comparable(seed.objects[i].object))
          << m.file << " document " << i;
    }
  }
}

}  // namespace
}  // namespace canaryd::demo

// Conformance over real configuration: every file of ../shared/seed and ../shared/corpus/istio is
// decoded and validated. Each is accepted, or refused with the specific explanation listed here
// (a feature canaryd does not serve, or a document that is not a resource on its own).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <vector>

#include "config/loader.h"
#include "testing/paths.h"

namespace canaryd::config {
namespace {

namespace fs = std::filesystem;

constexpr const char* kFragment = "not a resource: a document needs apiVersion, kind";
constexpr const char* kNotDns = "is not a valid DNS-1123 label";

// File (relative to corpus/istio) -> the errors it must get, as message fragments; every error
// must match one, and each must be matched.
const std::map<std::string, std::vector<std::string>>& Refusals() {
  static const std::map<std::string, std::vector<std::string>> kRefusals = {
      // Fragments of a spec from the API reference, not applicable on their own.
      {"istio-api-proto-examples/destination_rule-13.yaml", {kFragment}},
      {"istio-api-proto-examples/destination_rule-14.yaml", {kFragment}},
      {"istio-api-proto-examples/destination_rule-15.yaml", {kFragment}},
      {"istio-api-proto-examples/destination_rule-16.yaml", {kFragment}},
      {"istio-api-proto-examples/destination_rule-19.yaml", {kFragment}},
      {"istio-api-proto-examples/destination_rule-20.yaml", {kFragment}},
      {"istio-api-proto-examples/virtual_service-07.yaml", {kFragment}},
      // TCP, TLS-passthrough and MONGO are not HTTP: canaryd is an HTTP gateway.
      {"istio-api-proto-examples/gateway-01.yaml", {"protocol MONGO is not served"}},
      {"istio-api-proto-examples/gateway-03.yaml", {"TCP routes are not served"}},
      {"istio-api-proto-examples/gateway-06.yaml", {"protocol MONGO is not served"}},
      {"istio-api-proto-examples/service_entry-05.yaml", {"TLS (SNI passthrough) routes are not"}},
      {"istio-api-proto-examples/virtual_service-12.yaml",
       {"TLS (SNI passthrough) routes are not"}},
      {"istio-api-proto-examples/virtual_service-13.yaml", {"TCP routes are not served"}},
      // `prefix_rewrite` is the proto field name. Protobuf's own JSON reader accepts it, but the
      // Kubernetes schema of the Istio CRDs (and so `kubectl apply --validate=strict`) knows only
      // the JSON name prefixRewrite, which the error suggests.
      {"istio-api-proto-examples/virtual_service-19.yaml",
       {"unknown field \"prefix_rewrite\" (did you mean \"prefixRewrite\"?)"}},
      // "nsA" cannot be a Kubernetes namespace (namespaces are lower-case DNS labels), so a
      // cluster refuses these too.
      {"istio-api-proto-examples/virtual_service-08.yaml", {kNotDns}},
      {"istio-api-proto-examples/virtual_service-09.yaml", {kNotDns}},
      {"istio-api-proto-examples/virtual_service-10.yaml", {kNotDns}},
  };
  return kRefusals;
}

TEST(Corpus, EveryIstioFileIsAcceptedOrRefusedWithAnExplanation) {
  CANARYD_REQUIRE_SHARED(shared);
  fs::path root = fs::path(shared) / "corpus" / "istio";
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file() && e.path().extension() == ".yaml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 100u);
  std::set<std::string> seen_refusals;
  size_t accepted_resources = 0;
  for (const fs::path& f : files) {
    std::string rel = fs::relative(f, root).string();
    SCOPED_TRACE(rel);
    LoadResult result;
    LoadPath(f.string(), {}, result);
    auto it = Refusals().find(rel);
    if (it == Refusals().end()) {
      EXPECT_FALSE(result.diagnostics.has_errors()) << result.diagnostics.ToString();
      EXPECT_GT(result.resources.size(), 0u);
      accepted_resources += result.resources.size();
      continue;
    }
    seen_refusals.insert(rel);
    EXPECT_TRUE(result.diagnostics.has_errors());
    std::set<std::string> matched;
    for (const Diagnostic& d : result.diagnostics.items()) {
      if (d.severity != Severity::kError) continue;
      bool ok = false;
      for (const std::string& part : it->second) {
        if (d.message.find(part) != std::string::npos) {
          ok = true;
          matched.insert(part);
        }
      }
      EXPECT_TRUE(ok) << "unexpected error: " << d.ToString();
      EXPECT_TRUE(d.mark.known()) << "no position: " << d.ToString();
    }
    EXPECT_EQ(matched.size(), it->second.size());
  }
  EXPECT_EQ(seen_refusals.size(), Refusals().size()) << "a listed file is missing from the corpus";
  EXPECT_GE(accepted_resources, 100u);
}

TEST(Corpus, TheSeedIsAcceptedDeploymentsIncluded) {
  CANARYD_REQUIRE_SHARED(shared);
  for (const auto& e : fs::directory_iterator(fs::path(shared) / "seed")) {
    if (e.path().extension() != ".yaml") continue;
    SCOPED_TRACE(e.path().filename().string());
    LoadResult result;
    LoadPath(e.path().string(), {}, result);
    EXPECT_TRUE(result.diagnostics.empty()) << result.diagnostics.ToString();
    EXPECT_GT(result.resources.size(), 0u);
  }
}

}  // namespace
}  // namespace canaryd::config

#include "config/loader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "config/analyze.h"
#include "testing/paths.h"

namespace canaryd::config {
namespace {

TEST(Loader, TheProjectsWalkthroughExamplesAreValid) {
  LoadResult result;
  std::string dir = (testing::SourceDir() / "examples" / "walkthrough").string();
  LoadPath(dir, {}, result);
  LoadPath(dir + "/steps", {}, result);
  AnalyzeReferences(result.resources, result.diagnostics);
  EXPECT_TRUE(result.diagnostics.empty()) << result.diagnostics.ToString();
  EXPECT_EQ(result.resources.size(), 13u);  // with steps/web-canary.yaml
}

TEST(Loader, DecodesTheSeedServicesGatewayAndVirtualService) {
  CANARYD_REQUIRE_SHARED(shared);
  LoadResult result;
  LoadPath(shared + "/seed/web-v1-service.yaml", {}, result);
  LoadPath(shared + "/seed/web-v2-service.yaml", {}, result);
  LoadPath(shared + "/seed/web-gateway-virtualservice-90-10.yaml", {}, result);
  AnalyzeReferences(result.resources, result.diagnostics);
  ASSERT_TRUE(result.diagnostics.empty()) << result.diagnostics.ToString();
  ASSERT_EQ(result.resources.size(), 4u);
  const Resource& svc = result.resources[0];
  EXPECT_EQ(svc.kind, Kind::kService);
  EXPECT_EQ(svc.ns(), "default");
  EXPECT_EQ(*svc.As<ServiceSpec>().ports[0].name, "80");
  EXPECT_EQ(svc.As<ServiceSpec>().selector.at("version"), "v1");
  const Resource& vs = result.resources[3];
  EXPECT_EQ(vs.DisplayName(), "virtualservice.networking.istio.io/web-virtualservice");
  EXPECT_EQ(vs.api_version, "networking.istio.io/v1alpha3");
  const auto& route = vs.As<VirtualServiceSpec>().http[0].route;
  ASSERT_EQ(route.size(), 2u);
  EXPECT_EQ(*route[0].weight, 90);
  EXPECT_EQ(*route[1].weight, 10);
  EXPECT_EQ(vs.PositionOf("spec.http[0].route[1].weight").line, 39);
  EXPECT_EQ(vs.PositionOf("spec.http[0].route[1].weight").column, 15);
}

TEST(Loader, TheSeedDeploymentIsAcceptedAsWritten) {
  CANARYD_REQUIRE_SHARED(shared);
  LoadResult result;
  LoadPath(shared + "/seed/web-v1-deployment.yaml", {}, result);
  EXPECT_TRUE(result.diagnostics.empty()) << result.diagnostics.ToString();
  ASSERT_EQ(result.resources.size(), 1u);
  const Resource& d = result.resources[0];
  EXPECT_EQ(d.kind, Kind::kDeployment);
  const auto& spec = d.As<DeploymentSpec>();
  EXPECT_EQ(spec.replicas, 1);
  ASSERT_EQ(spec.template_.spec.containers.size(), 1u);
  EXPECT_EQ(spec.template_.spec.containers[0].image, "gardnera/canarytester:v1");
  EXPECT_EQ(spec.template_.spec.containers[0].ports[0].container_port, 80);
  EXPECT_EQ(d.PositionOf("spec.template.spec.containers[0].image").line, 21);
}

TEST(Loader, ExpandsListsAndAppliesTheDefaultNamespace) {
  LoadResult result;
  LoadOptions options;
  options.default_namespace = "prod";
  LoadText(R"({"apiVersion": "v1", "kind": "List", "items": [
      {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"},
       "spec": {"ports": [{"port": 80}]}},
      {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod"}}]})",
           "list.json", options, result);
  ASSERT_TRUE(result.diagnostics.empty()) << result.diagnostics.ToString();
  ASSERT_EQ(result.resources.size(), 2u);
  EXPECT_EQ(result.resources[0].ns(), "prod");
  EXPECT_EQ(result.resources[1].ns(), "") << "namespaces are not namespaced";
}

TEST(Loader, MissingFilesAndOversizedFilesAreErrors) {
  LoadResult result;
  LoadPath("/nonexistent/x.yaml", {}, result);
  EXPECT_EQ(result.diagnostics.ToString(), "/nonexistent/x.yaml: no such file or directory\n");

  std::filesystem::path big = std::filesystem::temp_directory_path() / "canaryd_big_test.yaml";
  {
    std::ofstream out(big);
    out << std::string(2048, '#');
  }
  LoadOptions options;
  options.limits.max_bytes = 1024;
  LoadResult result2;
  LoadPath(big.string(), options, result2);
  EXPECT_EQ(result2.diagnostics.ToString(),
            big.string() + ":1:1: file is 2048 bytes, more than the limit of 1024\n");
  std::filesystem::remove(big);
}

TEST(Loader, DirectoriesReadManifestFilesInNameOrder) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / "canaryd_loader_dir_test";
  fs::remove_all(dir);
  fs::create_directories(dir / "sub");
  auto write = [](const fs::path& p, const std::string& name) {
    std::ofstream(p) << "apiVersion: v1\nkind: Namespace\nmetadata: {name: " << name << "}\n";
  };
  write(dir / "b.yaml", "b");
  write(dir / "a.yml", "a");
  write(dir / "c.json.txt", "ignored");
  write(dir / "sub" / "d.yaml", "d");
  LoadResult flat;
  LoadPath(dir.string(), {}, flat);
  ASSERT_EQ(flat.resources.size(), 2u);
  EXPECT_EQ(flat.resources[0].name(), "a");
  EXPECT_EQ(flat.resources[1].name(), "b");
  LoadOptions recursive;
  recursive.recursive = true;
  LoadResult deep;
  LoadPath(dir.string(), recursive, deep);
  EXPECT_EQ(deep.resources.size(), 3u);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace canaryd::config

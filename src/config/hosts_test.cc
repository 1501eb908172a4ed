#include "config/hosts.h"

#include <gtest/gtest.h>

namespace canaryd::config {
namespace {

TEST(Hosts, ShortNamesResolveInTheResourceNamespace) {
  EXPECT_EQ(HostCandidates("web", "prod"), std::vector<std::string>{"web.prod.svc.cluster.local"});
  EXPECT_EQ(HostCandidates("web.prod", "default"),
            (std::vector<std::string>{"web.prod", "web.prod.svc.cluster.local"}));
  EXPECT_EQ(HostCandidates("web.prod.svc.cluster.local", "default"),
            std::vector<std::string>{"web.prod.svc.cluster.local"});
  EXPECT_EQ(HostCandidates("api.example.com.", "default"),
            std::vector<std::string>{"api.example.com"});
}

TEST(Hosts, WildcardsMatchBySuffix) {
  EXPECT_TRUE(HostMatches("*", "anything.example.com"));
  EXPECT_TRUE(HostMatches("*.example.com", "a.example.com"));
  EXPECT_TRUE(HostMatches("*.example.com", "a.b.example.com"));
  EXPECT_FALSE(HostMatches("*.example.com", "example.com"));
  EXPECT_FALSE(HostMatches("*.example.com", "aexample.com"));
  EXPECT_TRUE(HostMatches("*.example.com", "*.a.example.com"));
  EXPECT_FALSE(HostMatches("*.a.example.com", "*.example.com"));
  EXPECT_TRUE(HostMatches("web", "web"));
  EXPECT_FALSE(HostMatches("web", "web2"));
}

}  // namespace
}  // namespace canaryd::config

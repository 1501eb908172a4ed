// Hash keys, the consistent-hash ring and Maglev table, and the sticky canary's bucket pick:
// pure functions, checked exactly where the property is exact (the sticky canary's monotonicity,
// a key's endpoint while that endpoint is up) and by counts where it is a distribution.
#include "router/hash_key.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "router/hash_ring.h"
#include "router/route_table.h"

namespace canaryd::router {
namespace {

TEST(FindCookieTest, FindsTheNamedCookieOnly) {
  std::string_view v;
  EXPECT_TRUE(FindCookie("a=1; user=alice; b=2", "user", &v));
  EXPECT_EQ(v, "alice");
  EXPECT_TRUE(FindCookie("xuser=bob;user=\"carol\"", "user", &v)) << "no prefix match";
  EXPECT_EQ(v, "carol") << "quotes are not part of the value";
  EXPECT_TRUE(FindCookie("  user = dave  ", "user", &v));
  EXPECT_EQ(v, "dave");
  EXPECT_TRUE(FindCookie("user=", "user", &v));
  EXPECT_EQ(v, "");
  EXPECT_FALSE(FindCookie("xuser=bob; usera=1", "user", &v));
  EXPECT_FALSE(FindCookie("user", "user", &v)) << "a name without '=' is no cookie";
  EXPECT_FALSE(FindCookie("", "user", &v));
  EXPECT_FALSE(FindCookie(";;;", "user", &v));
}

TEST(FindQueryParameterTest, ExactNameNoDecoding) {
  std::string_view v;
  EXPECT_TRUE(FindQueryParameter("a=1&user=x%20y&b", "user", &v));
  EXPECT_EQ(v, "x%20y");
  EXPECT_TRUE(FindQueryParameter("b", "b", &v));
  EXPECT_EQ(v, "");
  EXPECT_FALSE(FindQueryParameter("users=1", "user", &v));
}

bool FindIn(const void* ctx, std::string_view name, std::string_view* value) {
  const auto& m = *static_cast<const std::map<std::string, std::string>*>(ctx);
  auto it = m.find(std::string(name));
  if (it == m.end()) return false;
  *value = it->second;
  return true;
}

TEST(ComputeHashTest, EachSourceReadsItsPart) {
  std::map<std::string, std::string> headers{{"x-user", "alice"}, {"cookie", "s=bob; t=1"}};
  RequestView r;
  r.query = "id=carol";
  r.find_header = &FindIn;
  r.header_ctx = &headers;
  uint64_t h = 0;
  HashKey key;
  EXPECT_FALSE(ComputeHash(key, r, "10.0.0.1", &h)) << "no source";
  key.source = HashKey::Source::kHeader;
  key.name = "x-user";
  ASSERT_TRUE(ComputeHash(key, r, "", &h));
  EXPECT_EQ(h, HashBytes("alice"));
  key.name = "x-none";
  EXPECT_FALSE(ComputeHash(key, r, "", &h));
  key.source = HashKey::Source::kCookie;
  key.name = "s";
  ASSERT_TRUE(ComputeHash(key, r, "", &h));
  EXPECT_EQ(h, HashBytes("bob"));
  key.name = "u";
  EXPECT_FALSE(ComputeHash(key, r, "", &h));
  key.source = HashKey::Source::kSourceIp;
  ASSERT_TRUE(ComputeHash(key, r, "10.0.0.1", &h));
  EXPECT_EQ(h, HashBytes("10.0.0.1"));
  key.source = HashKey::Source::kQueryParameter;
  key.name = "id";
  ASSERT_TRUE(ComputeHash(key, r, "", &h));
  EXPECT_EQ(h, HashBytes("carol"));
}

TEST(CookieTest, MadeValueAndSetCookieLine) {
  EXPECT_EQ(MakeCookieValue(0x0123456789abcdefULL, 0xfedcba9876543210ULL),
            "0123456789abcdeffedcba9876543210");
  HashKey key;
  key.name = "canary-user";
  key.cookie_attributes = "; Max-Age=60; Path=/; HttpOnly";
  EXPECT_EQ(SetCookieLine(key, "v"), "set-cookie: canary-user=v; Max-Age=60; Path=/; HttpOnly\r\n");
}

Route TwoDestinations(uint32_t stable, uint32_t canary) {
  Route r;
  if (stable > 0) r.clusters.push_back(WeightedCluster{0, stable, nullptr});
  if (canary > 0) r.clusters.push_back(WeightedCluster{1, canary, nullptr});
  r.total_weight = stable + canary;
  return r;
}

uint32_t StickyCluster(const Route& r, uint32_t bucket) {
  return r.clusters[r.StickyPick(bucket)].cluster;
}

// The property, exactly, over every bucket: at canary weight w the canary's users are
// the buckets below w x 100, so as w grows over 1, 5, 10, 25, 50, 100 nobody leaves the canary,
// and at 0 (a rollback) everybody is back on stable.
TEST(StickyCanaryTest, CanaryUsersOnlyGrowAsTheWeightGrows) {
  std::vector<bool> was_canary(kStickyBuckets, false);
  for (uint32_t w : {0u, 1u, 5u, 10u, 25u, 50u, 100u}) {
    Route r = TwoDestinations(100 - w, w);
    uint32_t canary_users = 0;
    for (uint32_t b = 0; b < kStickyBuckets; ++b) {
      bool canary = StickyCluster(r, b) == 1;
      EXPECT_EQ(canary, b < w * 100) << "weight " << w << " bucket " << b;
      EXPECT_TRUE(canary || !was_canary[b]) << "bucket " << b << " left the canary at " << w;
      was_canary[b] = canary;
      canary_users += canary;
    }
    EXPECT_EQ(canary_users, w * 100);
  }
  Route rollback = TwoDestinations(100, 0);
  for (uint32_t b = 0; b < kStickyBuckets; ++b) ASSERT_EQ(StickyCluster(rollback, b), 0u);
}

TEST(StickyCanaryTest, WeightsNotSummingToAHundredAndThreeDestinations) {
  Route r = TwoDestinations(3, 1);  // a quarter to the canary
  uint32_t canary = 0;
  for (uint32_t b = 0; b < kStickyBuckets; ++b) canary += StickyCluster(r, b) == 1;
  EXPECT_EQ(canary, 2500u);
  Route three;
  three.clusters = {{0, 50, nullptr}, {1, 30, nullptr}, {2, 20, nullptr}};
  three.total_weight = 100;
  std::map<uint32_t, uint32_t> n;
  for (uint32_t b = 0; b < kStickyBuckets; ++b) ++n[StickyCluster(three, b)];
  EXPECT_EQ(n[2], 2000u);
  EXPECT_EQ(n[1], 3000u);
  EXPECT_EQ(n[0], 5000u);
}

std::vector<std::string> Addresses(int n, int first = 0) {
  std::vector<std::string> out;
  for (int i = first; i < first + n; ++i) out.push_back("10.0.0." + std::to_string(i) + ":8080");
  return out;
}

class EndpointHashTest : public ::testing::TestWithParam<EndpointHash::Kind> {};

TEST_P(EndpointHashTest, SpreadsInProportionToWeight) {
  auto h = EndpointHash::Build(GetParam(), Addresses(3), {1, 1, 2}, 0);
  std::map<int, int> n;
  const int kKeys = 40000;
  for (int k = 0; k < kKeys; ++k) ++n[h->Pick(HashBytes("user-" + std::to_string(k)))];
  ASSERT_EQ(n.size(), 3u);
  // Expected 10000, 10000, 20000: a ring of 1024 points is lumpier than Maglev's table.
  EXPECT_NEAR(n[0], 10000, 2000);
  EXPECT_NEAR(n[1], 10000, 2000);
  EXPECT_NEAR(n[2], 20000, 2500);
}

TEST_P(EndpointHashTest, AKeyKeepsItsEndpointAndTheSameEndpointsGiveTheSamePicks) {
  auto a = EndpointHash::Build(GetParam(), Addresses(4), {}, 0);
  auto b = EndpointHash::Build(GetParam(), Addresses(4), {}, 0);  // another worker, gateway
  for (int k = 0; k < 2000; ++k) {
    uint64_t key = HashBytes("k" + std::to_string(k));
    ASSERT_EQ(a->Pick(key), a->Pick(key));
    ASSERT_EQ(a->Pick(key), b->Pick(key));
  }
}

TEST_P(EndpointHashTest, AvoidedOrUnusableEndpointsPassTheirKeysOnAndOnlyThose) {
  auto h = EndpointHash::Build(GetParam(), Addresses(4), {}, 0);
  std::vector<bool> unusable = {false, true, false, false};
  std::set<int> took_over;
  for (int k = 0; k < 4000; ++k) {
    uint64_t key = HashBytes("k" + std::to_string(k));
    int home = h->Pick(key);
    int avoided = h->Pick(key, home);
    EXPECT_NE(avoided, home);
    EXPECT_GE(avoided, 0);
    int ejected = h->Pick(key, -1, &unusable);
    if (home != 1) {
      EXPECT_EQ(ejected, home) << "a key of a usable endpoint stays there";
    } else {
      EXPECT_NE(ejected, 1);
      took_over.insert(ejected);
    }
  }
  EXPECT_GE(took_over.size(), 2u) << "an ejected endpoint's keys spread over the others";
  std::vector<bool> none(4, true);
  EXPECT_EQ(h->Pick(1, -1, &none), -1);
}

TEST_P(EndpointHashTest, RemovingAnEndpointMovesFewOfTheOthersKeys) {
  auto before = EndpointHash::Build(GetParam(), Addresses(5), {}, 0);
  auto after = EndpointHash::Build(GetParam(), Addresses(4, 1), {}, 0);  // 10.0.0.0 is gone
  int kept = 0, others = 0;
  for (int k = 0; k < 20000; ++k) {
    uint64_t key = HashBytes("k" + std::to_string(k));
    int was = before->Pick(key);
    if (was == 0) continue;
    ++others;
    kept += after->Pick(key) == was - 1;  // indexes shift by one
  }
  // A modulo hash would keep about a fifth of them.
  EXPECT_GT(kept, others * 8 / 10) << kept << " of " << others;
}

INSTANTIATE_TEST_SUITE_P(Kinds, EndpointHashTest,
                         ::testing::Values(EndpointHash::Kind::kRing, EndpointHash::Kind::kMaglev),
                         [](const auto& info) {
                           return info.param == EndpointHash::Kind::kRing ? "Ring" : "Maglev";
                         });

}  // namespace
}  // namespace canaryd::router

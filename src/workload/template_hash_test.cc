#include "workload/template_hash.h"

#include <set>

#include <gtest/gtest.h>

namespace canaryd::workload {
namespace {

TEST(TemplateHashTest, Fnv1aMatchesReferenceVectors) {
  EXPECT_EQ(Fnv1a32(""), 2166136261u);
  EXPECT_EQ(Fnv1a32("a"), 0xe40c292cu);
  EXPECT_EQ(Fnv1a32("foobar"), 0xbf9cf968u);
}

TEST(TemplateHashTest, SafeEncodeMapsDigitsLikeKubernetes) {
  // '0'..'9' are 48..57, and 48 % 27 == 21 -> '4'.
  EXPECT_EQ(SafeEncodeString("0123456789"), "456789bcdf");
}

TEST(TemplateHashTest, HashIsDecimalSum32SafeEncoded) {
  const std::string tmpl = R"({"spec":{"containers":[{"image":"demo:v1","name":"web"}]}})";
  EXPECT_EQ(ComputeTemplateHash(tmpl), SafeEncodeString(std::to_string(Fnv1a32(tmpl))));
  EXPECT_EQ(ComputeTemplateHash(tmpl), "67b7d6fffb");
  for (char c : ComputeTemplateHash(tmpl)) {
    EXPECT_NE(kSafeAlphabet.find(c), std::string_view::npos);
  }
}

TEST(TemplateHashTest, CollisionCountChangesTheHash) {
  const std::string tmpl = R"({"spec":{"containers":[{"image":"demo:v1","name":"web"}]}})";
  // 8 bytes: 1 as uint32 little-endian and 4 zero bytes, as Go writes them.
  EXPECT_EQ(ComputeTemplateHash(tmpl, 1), "7d5d56b65");
  EXPECT_NE(ComputeTemplateHash(tmpl, 0), ComputeTemplateHash(tmpl));
  EXPECT_NE(ComputeTemplateHash(tmpl, 1), ComputeTemplateHash(tmpl, 2));
  EXPECT_EQ(ReplicaSetName("web-v1", "5d4f8c7b9"), "web-v1-5d4f8c7b9");
}

TEST(TemplateHashTest, PodNamesUseTheSafeAlphabetAndAreDeterministicPerSeed) {
  RandomSource a = SeededRandom(42);
  RandomSource b = SeededRandom(42);
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string name = PodName("web-v1-5d4f8c7b9", a);
    EXPECT_EQ(name, PodName("web-v1-5d4f8c7b9", b));
    ASSERT_EQ(name.size(), std::string("web-v1-5d4f8c7b9-").size() + 5);
    EXPECT_EQ(name.rfind("web-v1-5d4f8c7b9-", 0), 0u);
    for (char c : name.substr(name.size() - 5)) {
      EXPECT_NE(kSafeAlphabet.find(c), std::string_view::npos) << name;
    }
    seen.insert(name);
  }
  EXPECT_GT(seen.size(), 190u);
}

TEST(TemplateHashTest, RandomSuffixRejectsOutOfAlphabetValues) {
  // 31 in every 5-bit group is out of range and skipped; 0 maps to 'b'.
  int calls = 0;
  RandomSource src = [&calls]() -> uint32_t { return calls++ == 0 ? 0xffffffffu : 0u; };
  EXPECT_EQ(RandomSuffix(src, 5), "bbbbb");
  EXPECT_EQ(calls, 2);
}

TEST(TemplateHashTest, LongPrefixIsCutToKeepNamesWithin63) {
  RandomSource r = SeededRandom(1);
  const std::string name = PodName(std::string(80, 'a'), r);
  EXPECT_EQ(name.size(), 63u);
}

}  // namespace
}  // namespace canaryd::workload

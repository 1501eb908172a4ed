#include "config/duration.h"

#include <gtest/gtest.h>

namespace canaryd::config {
namespace {

TEST(Duration, ParsesIstioForms) {
  std::string err;
  EXPECT_EQ(ParseDuration("1.5s", &err), 1'500'000'000);
  EXPECT_EQ(ParseDuration("100ms", &err), 100'000'000);
  EXPECT_EQ(ParseDuration("2m30s", &err), 150'000'000'000);
  EXPECT_EQ(ParseDuration("1h", &err), 3'600'000'000'000);
  EXPECT_EQ(ParseDuration("250us", &err), 250'000);
  EXPECT_EQ(ParseDuration("7ns", &err), 7);
  EXPECT_EQ(ParseDuration("0", &err), 0);
  EXPECT_EQ(ParseDuration("0s", &err), 0);
  EXPECT_EQ(ParseDuration(".5s", &err), 500'000'000);
  EXPECT_EQ(ParseDuration("-1s", &err), -1'000'000'000);
}

TEST(Duration, RejectsMalformedText) {
  for (const char* bad : {"", "1", "s", "1x", "1.s5", "ms", "1 s", "10d", "99999999999999h"}) {
    std::string err;
    EXPECT_FALSE(ParseDuration(bad, &err).has_value()) << bad;
    EXPECT_FALSE(err.empty()) << bad;
  }
  std::string err;
  ParseDuration("10d", &err);
  EXPECT_EQ(err, "unknown unit \"d\" (one of ns, us, ms, s, m, h)");
}

TEST(Duration, FormatsLikeGo) {
  EXPECT_EQ(FormatDuration(1'500'000'000), "1.5s");
  EXPECT_EQ(FormatDuration(1'000'000), "1ms");
  EXPECT_EQ(FormatDuration(150'000'000'000), "2m30s");
  EXPECT_EQ(FormatDuration(3'600'000'000'000), "1h0m0s");
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(1500), "1.5us");
}

}  // namespace
}  // namespace canaryd::config

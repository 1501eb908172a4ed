#include "common/base64.h"

#include <gtest/gtest.h>

namespace canaryd {
namespace {

std::string Decoded(std::string_view text) {
  size_t offset = 0;
  std::optional<std::string> out = Base64Decode(text, &offset);
  return out ? *out : "error at " + std::to_string(offset);
}

TEST(Base64, RoundTripsEveryLengthAndByte) {
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    bytes.push_back(static_cast<char>(i * 37));
    size_t offset = 0;
    std::optional<std::string> back = Base64Decode(Base64Encode(bytes), &offset);
    ASSERT_TRUE(back) << i << " at " << offset;
    EXPECT_EQ(*back, bytes);
  }
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("s3cr3t"), "czNjcjN0");
  EXPECT_EQ(Base64Encode("v"), "dg==");
  EXPECT_EQ(Base64Encode("ab"), "YWI=");
}

// The offsets Go's base64.StdEncoding reports, which Kubernetes passes on.
TEST(Base64, ErrorsAtTheOffsetGoReports) {
  EXPECT_EQ(Decoded("not base64!"), "error at 3");
  EXPECT_EQ(Decoded("YWRtaW4"), "error at 4");  // cut short: padding is required
  EXPECT_EQ(Decoded("Y"), "error at 0");
  EXPECT_EQ(Decoded("YQ="), "error at 3");  // "==" expected
  EXPECT_EQ(Decoded("YQ=x"), "error at 2");
  EXPECT_EQ(Decoded("=QQQ"), "error at 0");
  EXPECT_EQ(Decoded("YWI=YWI="), "error at 4");  // data after the padding
  EXPECT_EQ(Decoded("YW\u00e9I="), "error at 2");
}

TEST(Base64, SkipsNewlinesAsGoDoes) {
  EXPECT_EQ(Decoded("YWRt\naW4=\r\n"), "admin");
  EXPECT_EQ(Decoded("YQ=\n="), "a");
  EXPECT_EQ(Decoded("\n"), "");
}

}  // namespace
}  // namespace canaryd

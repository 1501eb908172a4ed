#include "http/request_target.h"

#include <gtest/gtest.h>

namespace canaryd::http {
namespace {

TEST(RequestTarget, SplitsAnAbsoluteTargetIntoAuthorityAndOriginForm) {
  AbsoluteTarget t;
  ASSERT_TRUE(SplitAbsoluteForm("http://example.com:8080/api/x?y=1", &t));
  EXPECT_EQ(t.scheme, "http");
  EXPECT_EQ(t.authority, "example.com:8080");
  EXPECT_EQ(t.rest, "/api/x?y=1");
  ASSERT_TRUE(SplitAbsoluteForm("https://example.com", &t));
  EXPECT_EQ(t.scheme, "https");
  EXPECT_EQ(t.authority, "example.com");
  EXPECT_EQ(t.rest, "");
  ASSERT_TRUE(SplitAbsoluteForm("http://[::1]:80?q", &t));
  EXPECT_EQ(t.authority, "[::1]:80");
  EXPECT_EQ(t.rest, "?q");
}

TEST(RequestTarget, RefusesWhatWouldMakeTheAuthorityAmbiguous) {
  AbsoluteTarget t;
  EXPECT_FALSE(SplitAbsoluteForm("http:///path", &t)) << "no authority";
  EXPECT_FALSE(SplitAbsoluteForm("http://user@evil.example/", &t)) << "userinfo";
  EXPECT_FALSE(SplitAbsoluteForm("http://a:b@good.example/", &t)) << "userinfo";
  EXPECT_FALSE(SplitAbsoluteForm("ftp://example.com/", &t));
  EXPECT_FALSE(SplitAbsoluteForm("/origin/form", &t));
  EXPECT_FALSE(IsAbsoluteForm("/http://x"));
}

}  // namespace
}  // namespace canaryd::http

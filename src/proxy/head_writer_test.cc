#include "proxy/head_writer.h"

#include <gtest/gtest.h>

namespace canaryd::proxy {
namespace {

TEST(HeadWriter, HopByHopHeaders) {
  EXPECT_TRUE(IsHopByHop("Connection", ""));
  EXPECT_TRUE(IsHopByHop("keep-alive", ""));
  EXPECT_TRUE(IsHopByHop("TE", ""));
  EXPECT_TRUE(IsHopByHop("Transfer-Encoding", ""));
  EXPECT_TRUE(IsHopByHop("Upgrade", ""));
  EXPECT_TRUE(IsHopByHop("Proxy-Connection", ""));
  EXPECT_TRUE(IsHopByHop("X-Private", "close, x-private"));
  EXPECT_FALSE(IsHopByHop("X-Private", "close"));
  EXPECT_FALSE(IsHopByHop("Content-Length", "keep-alive"));
}

}  // namespace
}  // namespace canaryd::proxy

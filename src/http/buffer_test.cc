#include "http/buffer.h"

#include <gtest/gtest.h>

#include <string>

namespace canaryd::http {
namespace {

TEST(Buffer, AppendsConsumesAndGrowsBeyondABlock) {
  Buffer b;
  EXPECT_TRUE(b.empty());
  b.Append("hello ");
  b.AppendDecimal(1234567890123ULL);
  b.Append(" ");
  b.AppendHex(0xbeef);
  EXPECT_EQ(std::string(b.read_ptr(), b.readable()), "hello 1234567890123 beef");
  b.Consume(6);
  EXPECT_EQ(std::string(b.read_ptr(), b.readable()), "1234567890123 beef");
  std::string big(100'000, 'x');
  b.Append(big);
  EXPECT_EQ(b.readable(), 18 + big.size());
  EXPECT_GE(b.capacity(), b.readable());
  b.Consume(b.readable());
  EXPECT_TRUE(b.empty());
  b.ShrinkIfEmpty();
  EXPECT_EQ(b.capacity(), 0u);
}

TEST(Buffer, CompactMovesUnreadBytesToTheFront) {
  Buffer b;
  b.Append("abcdef");
  b.Consume(4);
  b.Compact();
  EXPECT_EQ(b.read_pos(), 0u);
  EXPECT_EQ(std::string(b.read_ptr(), b.readable()), "ef");
}

}  // namespace
}  // namespace canaryd::http

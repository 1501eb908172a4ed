#include "http/header_lists.h"

#include <gtest/gtest.h>

#include <string>

#include "http/buffer.h"
#include "http/parser.h"

namespace canaryd::http {
namespace {

// Parses a request head (the text must hold a whole head) and keeps the text alive.
struct ParsedHead {
  explicit ParsedHead(std::string t) : text(std::move(t)) {
    parser.Reset();
    size_t used = 0;
    state = parser.Feed(text.data(), text.data(), text.size(), &used);
  }
  const MessageHead& head() const { return parser.head(); }
  std::string text;
  Parser parser{Parser::Kind::kRequest};
  Parser::State state;
};

TEST(HeaderLists, TokensAreTrimmedAndEmptyOnesSkipped) {
  std::string seen;
  ForEachListToken(" close ,, X-A\t,keep-alive ", [&](std::string_view t) {
    seen += "[" + std::string(t) + "]";
    return true;
  });
  EXPECT_EQ(seen, "[close][X-A][keep-alive]");
}

TEST(HeaderLists, EveryConnectionHeaderCounts) {
  ParsedHead p(
      "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\nX-A: 1\r\n"
      "connection: X-Private, x-other\r\n\r\n");
  ASSERT_EQ(p.state, Parser::State::kHeadComplete);
  ConnectionValues c = ConnectionValues::Of(p.head(), p.text.data());
  EXPECT_EQ(c.count, 2);
  EXPECT_TRUE(c.Names("x-private"));
  EXPECT_TRUE(c.Names("X-OTHER"));
  EXPECT_TRUE(c.Names("close"));
  EXPECT_FALSE(c.Names("x-a"));
  EXPECT_TRUE(IsHopByHop("X-Private", c)) << "named in the second Connection header";
  EXPECT_TRUE(IsHopByHop("Keep-Alive", c));
  EXPECT_TRUE(IsHopByHop("TE", c));
  EXPECT_TRUE(IsHopByHop("Trailer", c));
  EXPECT_TRUE(IsHopByHop("Upgrade", c));
  EXPECT_TRUE(IsHopByHop("Proxy-Connection", c));
  EXPECT_TRUE(IsHopByHop("Transfer-Encoding", c));
  EXPECT_FALSE(IsHopByHop("X-A", c));
  EXPECT_FALSE(IsHopByHop("Content-Length", c));
}

TEST(HeaderLists, MoreConnectionHeadersThanKeptIsAnOverflow) {
  std::string text = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i <= ConnectionValues::kMax; ++i)
    text += "Connection: x-" + std::to_string(i) + "\r\n";
  ParsedHead p(text + "\r\n");
  ASSERT_EQ(p.state, Parser::State::kHeadComplete);
  EXPECT_TRUE(ConnectionValues::Of(p.head(), p.text.data()).overflow);
}

TEST(HeaderLists, CodingsBeforeChunkedAreKeptFromEveryTransferEncodingHeader) {
  ParsedHead p(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n"
      "Transfer-Encoding: deflate, Chunked\r\n\r\n");
  ASSERT_EQ(p.state, Parser::State::kHeadComplete);
  Buffer out;
  EXPECT_EQ(AppendCodingsBeforeChunked(p.head(), p.text.data(), out), 2);
  EXPECT_EQ(std::string_view(out.read_ptr(), out.readable()), "gzip, deflate, ");
  ParsedHead plain("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
  Buffer none;
  EXPECT_EQ(AppendCodingsBeforeChunked(plain.head(), plain.text.data(), none), 0);
  EXPECT_TRUE(none.empty());
}

}  // namespace
}  // namespace canaryd::http

#include "http/parser.h"

#include <gtest/gtest.h>

#include <string>

namespace canaryd::http {
namespace {

// Feeds a whole message (optionally one byte at a time), resuming after the head, and collects
// the body. Returns the final state.
struct FeedRun {
  Parser::State state = Parser::State::kNeedMore;
  std::string body;
  size_t consumed = 0;
  bool saw_head = false;
};

FeedRun FeedAll(Parser& p, const std::string& text, bool bytewise = false) {
  FeedRun run;
  p.Reset();
  size_t pos = 0;
  while (pos < text.size() || run.state == Parser::State::kHeadComplete) {
    size_t len = bytewise ? std::min<size_t>(1, text.size() - pos) : text.size() - pos;
    size_t used = 0;
    run.state = p.Feed(text.data(), text.data() + pos, len, &used);
    for (const auto& piece : p.body()) run.body.append(piece.data, piece.length);
    pos += used;
    if (run.state == Parser::State::kHeadComplete) {
      run.saw_head = true;
      p.Resume();
      continue;
    }
    if (run.state != Parser::State::kNeedMore) break;
  }
  run.consumed = pos;
  return run;
}

TEST(Parser, ParsesARequestHeadAsSlices) {
  Parser p(Parser::Kind::kRequest);
  std::string req = "GET /a/b?x=1 HTTP/1.1\r\nHost: example.com\r\nX-Long: one two\r\n\r\n";
  for (bool bytewise : {false, true}) {
    FeedRun r = FeedAll(p, req, bytewise);
    ASSERT_EQ(r.state, Parser::State::kMessageComplete) << bytewise;
    EXPECT_TRUE(r.saw_head);
    const MessageHead& h = p.head();
    EXPECT_EQ(h.url.in(req.data()), "/a/b?x=1");
    EXPECT_EQ(h.method_name.in(req.data()), "GET");
    EXPECT_EQ(h.headers.size(), 2u);
    EXPECT_EQ(h.Find(req.data(), "host"), "example.com");
    EXPECT_EQ(h.Find(req.data(), "x-long"), "one two");
    EXPECT_TRUE(h.keep_alive);
    EXPECT_FALSE(h.has_body);
    EXPECT_EQ(r.consumed, req.size());
  }
}

// Feeds `text` in two pieces cut at `cut`, as a connection does: the bytes stay where they are
// and each Feed continues where the last stopped. Returns the head's fields as text.
std::string HeadFieldsCutAt(Parser& p, const std::string& text, size_t cut, std::string* body) {
  p.Reset();
  size_t pos = 0;
  std::string out;
  for (size_t limit : {cut, text.size()}) {
    while (pos < limit || p.completion_pending()) {
      size_t used = 0;
      Parser::State s = p.Feed(text.data(), text.data() + pos, limit - pos, &used);
      for (const auto& piece : p.body()) body->append(piece.data, piece.length);
      pos += used;
      if (s == Parser::State::kError) return std::string("error: ") + p.error_reason();
      if (s == Parser::State::kHeadComplete) {
        const MessageHead& h = p.head();
        out = std::string(h.method_name.in(text.data())) + "|" +
              std::string(h.url.in(text.data())) + "|" + std::to_string(h.status) + "|" +
              std::string(h.reason.in(text.data()));
        for (const HeaderSlice& hs : h.headers) {
          out += "|" + std::string(hs.name.in(text.data())) + "=" +
                 std::string(hs.value.in(text.data()));
        }
        p.Resume();
        continue;
      }
      if (s == Parser::State::kMessageComplete) return out;
      if (used == 0) break;
    }
  }
  return out + " (incomplete)";
}

TEST(Parser, AHeadCutAtEveryByteGivesTheSameSlices) {
  struct Case {
    Parser::Kind kind;
    std::string text;
    std::string fields;
    std::string body;
  };
  const Case cases[] = {
      {Parser::Kind::kRequest,
       "POST /a/b?x=1 HTTP/1.1\r\nHost: example.com\r\nX-Long: one two three\r\n"
       "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
       "POST|/a/b?x=1|0||Host=example.com|X-Long=one two three|Transfer-Encoding=chunked", "hello"},
      {Parser::Kind::kResponse,
       "HTTP/1.1 200 A Long Reason Phrase\r\nContent-Length: 2\r\nX-Foo: bar\r\n\r\nok",
       "||200|A Long Reason Phrase|Content-Length=2|X-Foo=bar", "ok"},
  };
  for (const Case& c : cases) {
    Parser p(c.kind);
    for (size_t cut = 0; cut <= c.text.size(); ++cut) {
      std::string body;
      EXPECT_EQ(HeadFieldsCutAt(p, c.text, cut, &body), c.fields) << "cut at " << cut;
      EXPECT_EQ(body, c.body) << "cut at " << cut;
    }
  }
}

TEST(Parser, RefusesToContinueAHeadWhoseFirstBytesWereConsumed) {
  // A caller that drops the bytes of an unfinished head and feeds the rest from a new start
  // would leave the slices pointing at memory that now holds something else.
  for (Parser::Kind kind : {Parser::Kind::kRequest, Parser::Kind::kResponse}) {
    Parser p(kind);
    p.Reset();
    std::string first = kind == Parser::Kind::kRequest ? "GET / HTTP/1.1\r\nHo" : "HTTP/1.1 20";
    std::string rest = kind == Parser::Kind::kRequest ? "st: a\r\n\r\n" : "0 OK\r\n\r\n";
    size_t used = 0;
    ASSERT_EQ(p.Feed(first.data(), first.data(), first.size(), &used), Parser::State::kNeedMore);
    EXPECT_EQ(p.Feed(rest.data(), rest.data(), rest.size(), &used), Parser::State::kError);
    EXPECT_EQ(p.error_status(), kind == Parser::Kind::kRequest ? 400 : 502);
  }
}

TEST(Parser, StopsAtTheEndOfEachPipelinedRequest) {
  Parser p(Parser::Kind::kRequest);
  std::string two = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n";
  FeedRun first = FeedAll(p, two);
  EXPECT_EQ(first.state, Parser::State::kMessageComplete);
  EXPECT_EQ(first.consumed, two.size() / 2);
  std::string rest = two.substr(first.consumed);
  FeedRun second = FeedAll(p, rest);
  EXPECT_EQ(second.state, Parser::State::kMessageComplete);
  EXPECT_EQ(p.head().url.in(rest.data()), "/2");
}

TEST(Parser, DeliversChunkedBodiesDecoded) {
  Parser p(Parser::Kind::kRequest);
  std::string req =
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
  for (bool bytewise : {false, true}) {
    FeedRun r = FeedAll(p, req, bytewise);
    EXPECT_EQ(r.state, Parser::State::kMessageComplete);
    EXPECT_TRUE(p.head().chunked);
    EXPECT_EQ(r.body, "hello world");
  }
}

// The body streams from other memory than the head (the proxy copies a head that has a body
// behind it); trailer fields there once joined the head as "headers" whose offsets counted from
// the head's base, pointing at unrelated memory when the head was written again (a retry, a
// mirror). They are dropped now, within a bound.
TEST(Parser, TrailersAreDroppedAndLeaveTheHeadAlone) {
  for (Parser::Kind kind : {Parser::Kind::kRequest, Parser::Kind::kResponse}) {
    Parser p(kind);
    p.Reset();
    std::string head = kind == Parser::Kind::kRequest
                           ? "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                           : "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    std::string body = "5\r\nhello\r\n0\r\nX-Checksum: 1234\r\nX-Other: y\r\n\r\n";
    size_t used = 0;
    ASSERT_EQ(p.Feed(head.data(), head.data(), head.size(), &used), Parser::State::kHeadComplete);
    p.Resume();
    size_t count = p.head().headers.size();
    std::string got;
    Parser::State s = Parser::State::kNeedMore;
    for (size_t pos = 0; pos < body.size() && s == Parser::State::kNeedMore; pos += used) {
      s = p.Feed(head.data(), body.data() + pos, 1, &used);  // one byte at a time
      for (const auto& piece : p.body()) got.append(piece.data, piece.length);
    }
    EXPECT_EQ(s, Parser::State::kMessageComplete);
    EXPECT_EQ(got, "hello");
    EXPECT_EQ(p.head().headers.size(), count);
    EXPECT_FALSE(p.head().Has(head.data(), "x-checksum"));
  }
  Parser p(Parser::Kind::kRequest);
  p.Reset();
  std::string head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string body = "0\r\nX-Big: " + std::string(70 * 1024, 'a') + "\r\n\r\n";
  size_t used = 0;
  ASSERT_EQ(p.Feed(head.data(), head.data(), head.size(), &used), Parser::State::kHeadComplete);
  p.Resume();
  EXPECT_EQ(p.Feed(head.data(), body.data(), body.size(), &used), Parser::State::kError);
  EXPECT_EQ(p.error_status(), 400);
}

TEST(Parser, RefusesSmugglingAndMalformedInputWith400) {
  const char* bad[] = {
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: "
      "chunked\r\n\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
      "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n  folded\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
      "GET / HTTP/9.9\r\nHost: a\r\n\r\n",
      "GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET / HTTP/1.1\r\nBad Header: x\r\n\r\n",
      "G@T / HTTP/1.1\r\n\r\n",
  };
  for (const char* text : bad) {
    Parser p(Parser::Kind::kRequest);
    FeedRun r = FeedAll(p, text);
    EXPECT_EQ(r.state, Parser::State::kError) << text;
    EXPECT_EQ(p.error_status(), 400) << text;
  }
}

TEST(Parser, OversizedHeadsAndTooManyHeadersGet431) {
  Parser p(Parser::Kind::kRequest);
  std::string big = "GET / HTTP/1.1\r\nX-Big: " + std::string(61 * 1024, 'a') + "\r\n\r\n";
  FeedRun r = FeedAll(p, big);
  EXPECT_EQ(r.state, Parser::State::kError);
  EXPECT_EQ(p.error_status(), 431);

  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 101; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  many += "\r\n";
  Parser q(Parser::Kind::kRequest);
  r = FeedAll(q, many);
  EXPECT_EQ(r.state, Parser::State::kError);
  EXPECT_EQ(q.error_status(), 431);

  std::string long_line = "GET /" + std::string(61 * 1024, 'a') + " HTTP/1.1\r\n\r\n";
  Parser s(Parser::Kind::kRequest);
  r = FeedAll(s, long_line, /*bytewise=*/false);
  EXPECT_EQ(r.state, Parser::State::kError);
  EXPECT_EQ(s.error_status(), 431);
}

TEST(Parser, ResponsesToHeadAnd204HaveNoBody) {
  Parser p(Parser::Kind::kResponse);
  p.set_no_body(true);
  std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
  FeedRun r = FeedAll(p, head);
  EXPECT_TRUE(r.saw_head);
  EXPECT_EQ(r.state, Parser::State::kMessageComplete);
  EXPECT_FALSE(p.head().has_body);

  Parser q(Parser::Kind::kResponse);
  std::string no_content = "HTTP/1.1 204 No Content\r\n\r\n";
  r = FeedAll(q, no_content);
  EXPECT_EQ(r.state, Parser::State::kMessageComplete);
  EXPECT_EQ(q.head().status, 204);
}

TEST(Parser, InformationalResponsesComeBeforeTheFinalOne) {
  Parser p(Parser::Kind::kResponse);
  std::string text = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  FeedRun first = FeedAll(p, text);
  EXPECT_EQ(first.state, Parser::State::kMessageComplete);
  EXPECT_EQ(p.head().status, 100);
  std::string rest = text.substr(first.consumed);
  FeedRun second = FeedAll(p, rest);
  EXPECT_EQ(second.state, Parser::State::kMessageComplete);
  EXPECT_EQ(p.head().status, 200);
  EXPECT_EQ(second.body, "ok");
}

TEST(Parser, CloseDelimitedResponseBodiesEndAtFinish) {
  Parser p(Parser::Kind::kResponse);
  std::string text = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nsome body";
  FeedRun r = FeedAll(p, text);
  EXPECT_EQ(r.state, Parser::State::kNeedMore);
  EXPECT_EQ(r.body, "some body");
  EXPECT_EQ(p.Finish(), Parser::State::kMessageComplete);

  Parser q(Parser::Kind::kResponse);
  std::string cut = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort";
  r = FeedAll(q, cut);
  EXPECT_EQ(q.Finish(), Parser::State::kError);
}

}  // namespace
}  // namespace canaryd::http

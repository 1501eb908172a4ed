// The HTTP/1 server codec on its own: the events it reports for requests as a client sends them,
// whole, split at every byte, one byte at a time and pipelined; its flow control; malformed
// input; the client's end; and callbacks that answer, end or stop inside an event.
#include "proxy/http1_server_codec.h"

#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <vector>

namespace canaryd::proxy {
namespace {

// Records the events as text, one line each, with the head's method, target and Host.
class Recorder final : public Http1ServerCodec::Callbacks {
 public:
  void OnRequestBegin() override { events.push_back("begin"); }
  void OnRequestHead(const http::MessageHead& head, const char* base) override {
    events.push_back("head " + std::string(head.method_name.in(base)) + " " +
                     std::string(head.url.in(base)) +
                     " host=" + std::string(head.Find(base, "host")));
    if (on_head) on_head();
  }
  void OnRequestBody(const char* data, size_t len) override { body.append(data, len); }
  void OnRequestBodyRead(bool end_stream) override {
    if (!end_stream) return;
    events.push_back("end body=" + body);
    body.clear();
    if (on_end) on_end();
  }
  void OnRequestError(int status, bool in_body) override {
    events.push_back("error " + std::to_string(status) + (in_body ? " in body" : " in head"));
  }
  void OnClientClosed() override { events.push_back("closed"); }
  bool AcceptsBody() override { return accepts_body; }

  std::vector<std::string> events;
  std::string body;
  bool accepts_body = true;
  std::function<void()> on_head, on_end;
};

class CodecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
    client_ = fds[0];
    transport_.emplace(fds[1]);
    codec_.emplace(*transport_, recorder_, http::ParserLimits{});
  }
  void TearDown() override {
    if (client_ >= 0) ::close(client_);
  }

  // Sends `bytes` from the client and lets the codec read them, as the loop would on EPOLLIN.
  void Send(std::string_view bytes) {
    ASSERT_EQ(::write(client_, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    transport_->OnEvents(EPOLLIN);
    codec_->Dispatch();
  }
  void CloseClient() {
    ::close(client_);
    client_ = -1;
    transport_->OnEvents(EPOLLIN | EPOLLRDHUP);
    codec_->Dispatch();
  }

  int client_ = -1;
  Recorder recorder_;
  std::optional<PlainTransport> transport_;
  std::optional<Http1ServerCodec> codec_;
};

using Events = std::vector<std::string>;

constexpr std::string_view kPost =
    "POST /upload HTTP/1.1\r\nHost: shop\r\nContent-Length: 11\r\n\r\nhello world";
constexpr std::string_view kChunked =
    "PUT /c HTTP/1.1\r\nHost: shop\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\nTrailer: x\r\n\r\n";

TEST_F(CodecTest, ABodilessRequestIsBeginHeadEnd) {
  Send("GET /a?b=1 HTTP/1.1\r\nHost: shop\r\n\r\n");
  EXPECT_EQ(recorder_.events, (Events{"begin", "head GET /a?b=1 host=shop", "end body="}));
  EXPECT_EQ(codec_->head().method, HTTP_GET);
}

TEST_F(CodecTest, EveryTwoWaySplitOfARequestGivesTheSameEvents) {
  for (std::string_view request : {kPost, kChunked}) {
    std::string expected_head =
        request == kPost ? "head POST /upload host=shop" : "head PUT /c host=shop";
    for (size_t cut = 1; cut < request.size(); ++cut) {
      TearDown();
      recorder_ = Recorder();
      SetUp();
      Send(request.substr(0, cut));
      Send(request.substr(cut));
      EXPECT_EQ(recorder_.events, (Events{"begin", expected_head, "end body=hello world"}))
          << "split at " << cut;
    }
  }
}

TEST_F(CodecTest, OneByteWritesGiveTheSameEvents) {
  for (char c : kChunked) Send(std::string_view(&c, 1));
  EXPECT_EQ(recorder_.events, (Events{"begin", "head PUT /c host=shop", "end body=hello world"}));
}

TEST_F(CodecTest, TheHeadStaysReadableWhileItsBodyStreams) {
  // A body streams through the input buffer; the head's bytes must survive it.
  std::string big(200 * 1024, 'x');
  std::string request =
      "POST /big HTTP/1.1\r\nHost: shop\r\nContent-Length: " + std::to_string(big.size()) +
      "\r\n\r\n";
  Send(request);
  size_t sent = 0;
  while (sent < big.size()) {
    size_t n = std::min<size_t>(7000, big.size() - sent);
    Send(std::string_view(big).substr(sent, n));
    sent += n;
    EXPECT_EQ(codec_->head().Find(codec_->head_base(), "host"), "shop");
  }
  ASSERT_EQ(recorder_.events.size(), 3u);
  EXPECT_EQ(recorder_.events[2], "end body=" + big);
}

TEST_F(CodecTest, PipelinedRequestsWaitForTheEndOfTheCurrentOne) {
  Send(
      "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: b\r\nContent-Length: "
      "2\r\n\r\nokGET /3 HTTP/1.1\r\nHost: c\r\n\r\n");
  EXPECT_EQ(recorder_.events, (Events{"begin", "head GET /1 host=a", "end body="}));
  EXPECT_FALSE(codec_->NextRequest());  // the next request's bytes are buffered
  codec_->Dispatch();
  EXPECT_EQ(recorder_.events.size(), 6u);
  EXPECT_EQ(recorder_.events[4], "head POST /2 host=b");
  EXPECT_EQ(recorder_.events[5], "end body=ok");
  EXPECT_FALSE(codec_->NextRequest());
  codec_->Dispatch();
  ASSERT_EQ(recorder_.events.size(), 9u);
  EXPECT_EQ(recorder_.events[7], "head GET /3 host=c");
  EXPECT_TRUE(codec_->NextRequest());
  EXPECT_TRUE(codec_->idle());
}

TEST_F(CodecTest, AnswersInsideTheEventsGoOnWithThePipelinedRequests) {
  // A callback that ends each request as soon as it is read, as a local reply does.
  recorder_.on_end = [this] { codec_->NextRequest(); };
  Send("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: b\r\n\r\n");
  EXPECT_EQ(recorder_.events, (Events{"begin", "head GET /1 host=a", "end body=", "begin",
                                      "head GET /2 host=b", "end body="}));
}

TEST_F(CodecTest, TheBodyWaitsWhileTheStreamDoesNotAcceptIt) {
  recorder_.accepts_body = false;
  Send(kPost);
  EXPECT_EQ(recorder_.events, (Events{"begin", "head POST /upload host=shop"}));
  EXPECT_TRUE(recorder_.body.empty());
  recorder_.accepts_body = true;
  codec_->Dispatch();
  EXPECT_EQ(recorder_.events.back(), "end body=hello world");
}

TEST_F(CodecTest, MalformedHeadsAreErrorsAndNothingMoreIsRead) {
  Send(
      "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nGET /next "
      "HTTP/1.1\r\n\r\n");
  EXPECT_EQ(recorder_.events, (Events{"begin", "error 400 in head"}));
  codec_->Dispatch();
  EXPECT_EQ(recorder_.events.size(), 2u);
}

TEST_F(CodecTest, AnOversizedHeadIs431) {
  Send("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(70 * 1024, 'a') + "\r\n\r\n");
  EXPECT_EQ(recorder_.events, (Events{"begin", "error 431 in head"}));
}

TEST_F(CodecTest, ABadChunkIsAnErrorInTheBody) {
  Send("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
  EXPECT_EQ(recorder_.events, (Events{"begin", "head POST / host=a", "error 400 in body"}));
}

TEST_F(CodecTest, TheClientsEndIsReportedBetweenAndInsideRequests) {
  CloseClient();
  EXPECT_EQ(recorder_.events, (Events{"closed"}));

  TearDown();
  recorder_ = Recorder();
  SetUp();
  Send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc");
  CloseClient();
  EXPECT_EQ(recorder_.events, (Events{"begin", "head POST / host=a", "closed"}));
  EXPECT_EQ(recorder_.body, "abc");
}

TEST_F(CodecTest, AStoppedCodecReportsNothingMore) {
  recorder_.on_head = [this] { codec_->Stop(); };
  Send(kPost);
  EXPECT_EQ(recorder_.events, (Events{"begin", "head POST /upload host=shop"}));
  EXPECT_TRUE(recorder_.body.empty());
  codec_->Dispatch();
  EXPECT_EQ(recorder_.events.size(), 2u);
}

}  // namespace
}  // namespace canaryd::proxy

#include "proxy/http1_server_codec.h"

namespace canaryd::proxy {

Http1ServerCodec::Http1ServerCodec(Transport& transport, Callbacks& callbacks,
                                   http::ParserLimits limits)
    : transport_(transport), callbacks_(callbacks), parser_(http::Parser::Kind::kRequest, limits) {
  parser_.Reset();
}

bool Http1ServerCodec::FillInput() {
  if (!transport_.readable()) return false;
  size_t n = 0;
  event::IoResult r = transport_.Read(input_, kReadSize, &n);
  if (r == event::IoResult::kEof || r == event::IoResult::kError) {
    state_ = State::kFailed;
    callbacks_.OnClientClosed();
    return false;
  }
  return n > 0;
}

void Http1ServerCodec::Dispatch() {
  // Each event may change the state (an answer ends the request, a close stops the codec), so
  // it is read again on every turn.
  for (;;) {
    switch (state_) {
      case State::kIdle:
      case State::kHead:
        if (parsed_ == input_.readable()) {
          if (transport_.peer_closed() && !transport_.readable()) {
            state_ = State::kFailed;
            return callbacks_.OnClientClosed();
          }
          if (!FillInput()) return;
        }
        if (state_ == State::kIdle) {
          state_ = State::kHead;
          callbacks_.OnRequestBegin();
          if (state_ != State::kHead) break;
        }
        ParseHead();
        break;
      case State::kBody:
        if (!callbacks_.AcceptsBody()) return;
        if (parsed_ == input_.readable() && !parser_.completion_pending() && !FillInput()) return;
        ParseBody();
        break;
      case State::kComplete:
      case State::kFailed:
      case State::kStopped:
        return;
    }
  }
}

void Http1ServerCodec::ParseHead() {
  size_t used = 0;
  http::Parser::State s = parser_.Feed(input_.read_ptr(), input_.read_ptr() + parsed_,
                                       input_.readable() - parsed_, &used);
  parsed_ += used;
  if (s == http::Parser::State::kError) {
    state_ = State::kFailed;
    return callbacks_.OnRequestError(parser_.error_status(), false);
  }
  if (s != http::Parser::State::kHeadComplete) return;
  const http::MessageHead& head = parser_.head();
  if (head.has_body || head.upgrade) {
    // The body will stream through the input buffer: the head moves to a buffer of its own.
    head_copy_.Append(input_.read_ptr(), parsed_);
    head_copied_ = true;
    input_.Consume(parsed_);
    parsed_ = 0;
  }
  parser_.Resume();
  state_ = State::kBody;
  callbacks_.OnRequestHead(head, head_base());
}

void Http1ServerCodec::ParseBody() {
  size_t used = 0;
  // For a bodiless request the head is still in input_ and Feed only reports the completion;
  // otherwise the body pieces point into input_.
  http::Parser::State s =
      parser_.Feed(head_base(), input_.read_ptr() + parsed_, input_.readable() - parsed_, &used);
  if (s == http::Parser::State::kError) {
    state_ = State::kFailed;
    return callbacks_.OnRequestError(parser_.error_status(), true);
  }
  for (const auto& piece : parser_.body()) callbacks_.OnRequestBody(piece.data, piece.length);
  parsed_ += used;
  if (head_copied_) {
    input_.Consume(parsed_);
    parsed_ = 0;
  }
  bool end = s == http::Parser::State::kMessageComplete;
  if (end) state_ = State::kComplete;
  callbacks_.OnRequestBodyRead(end);
}

bool Http1ServerCodec::NextRequest() {
  if (head_copied_) {
    head_copy_.Consume(head_copy_.readable());
    head_copy_.ShrinkIfEmpty();
    head_copied_ = false;
  } else {
    input_.Consume(parsed_);
  }
  parsed_ = 0;
  parser_.Reset();
  if (state_ != State::kStopped) state_ = State::kIdle;
  if (!input_.empty()) return false;
  input_.ShrinkIfEmpty();
  return true;
}

}  // namespace canaryd::proxy

// Parser: llhttp wrapped for a proxy that streams. Feed() parses as many bytes as it is given
// and stops at two points the caller must act on: when a message head is complete (the caller
// routes, then Resume()s) and when a message is complete (the caller finishes it, then starts
// the next with Reset()). Body bytes are reported as pieces pointing into the fed data, already
// de-chunked. The head is recorded as offsets from `base` (see message.h), so the caller must
// keep the head's bytes in place, from its first byte, until it is done with them: until the
// head is complete, every Feed must continue exactly where the previous one stopped, counted
// from the same first byte (Feed refuses anything else). One per connection; loop thread only.
#pragma once

#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace canaryd::http {

struct ParserLimits {
  size_t max_head_bytes = 60 * 1024;  // request line (or status line) and headers
  size_t max_headers = 100;
};

class Parser {
 public:
  enum class Kind { kRequest, kResponse };
  enum class State {
    kNeedMore,         // all fed bytes consumed, message not complete
    kHeadComplete,     // head parsed; act on it, then Resume()
    kMessageComplete,  // message done; Reset() before the next
    kError,
  };
  struct BodyPiece {
    const char* data;
    size_t length;
  };

  Parser(Kind kind, ParserLimits limits = {});
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  // Starts a new message whose head begins at `base`: head offsets are relative to it.
  void Reset();
  // Responses only: the request was HEAD (or the response must have no body for another reason).
  void set_no_body(bool v) { no_body_ = v; }

  // Parses [data, data + len). `base` is where the current message's head starts (offsets are
  // taken from there); `data` must lie in the same contiguous bytes as the head while the head
  // is being parsed. Returns the state and sets *consumed to the number of bytes used.
  State Feed(const char* base, const char* data, size_t len, size_t* consumed);
  // Continues after kHeadComplete.
  void Resume() { llhttp_resume(&parser_); }
  // Tells the parser the connection ended (for bodies delimited by close). Returns kError when
  // the message was cut short, kMessageComplete when the end completed it.
  State Finish();

  const MessageHead& head() const { return head_; }
  MessageHead& head() { return head_; }
  // Body pieces of the last Feed, in order. Cleared by each Feed.
  const std::vector<BodyPiece>& body() const { return body_; }
  bool head_complete() const { return head_complete_; }
  // The message completed together with its head (no body): the next Feed() reports it, even
  // with no bytes.
  bool completion_pending() const { return complete_pending_; }
  bool in_message() const { return started_; }

  // After kError: the HTTP status to answer (400, 431, 413, 502 for responses) and why.
  int error_status() const { return error_status_; }
  const char* error_reason() const { return error_reason_; }

 private:
  static int OnMessageBegin(llhttp_t* p);
  static int OnUrl(llhttp_t* p, const char* at, size_t len);
  static int OnMethod(llhttp_t* p, const char* at, size_t len);
  static int OnStatus(llhttp_t* p, const char* at, size_t len);
  static int OnHeaderField(llhttp_t* p, const char* at, size_t len);
  static int OnHeaderValue(llhttp_t* p, const char* at, size_t len);
  static int OnHeadersComplete(llhttp_t* p);
  static int OnBody(llhttp_t* p, const char* at, size_t len);
  static int OnMessageComplete(llhttp_t* p);

  void Extend(Slice& s, const char* at, size_t len);
  int Fail(int status, const char* reason);
  int SkipTrailer(size_t len);

  Kind kind_;
  ParserLimits limits_;
  llhttp_settings_t settings_;
  llhttp_t parser_;
  MessageHead head_;
  std::vector<BodyPiece> body_;
  const char* base_ = nullptr;
  bool in_value_ = false;
  bool head_complete_ = false;
  bool started_ = false;
  bool message_complete_ = false;
  bool complete_pending_ = false;  // message completed with its head; report it next Feed
  bool head_reported_ = false;
  bool no_body_ = false;
  size_t head_bytes_fed_ = 0;  // bytes of the current head fed so far, from `base`
  size_t trailer_bytes_ = 0;   // trailer field bytes of the current message (dropped)
  int error_status_ = 0;
  const char* error_reason_ = "";
};

}  // namespace canaryd::http

// Http1ServerCodec: the HTTP/1 server side of one client connection. It reads the client's bytes
// through the connection's Transport, parses them (http::Parser, llhttp) and reports each
// request as stream events to its Callbacks: begin (first byte), head, body pieces, body read
// (with end of stream), error, client closed. It holds the input bytes: the head stays in place
// (or in a copy of its own when a body streams behind it) until the stream ends with
// NextRequest(); pipelined requests wait in the input buffer, one request at a time.
//
// Flow control is the callbacks': the body is read only while AcceptsBody() says so, else it
// waits in the socket. Callbacks may answer, end the request (NextRequest) or stop the codec
// (Stop) from inside any event; Dispatch() looks at the codec's state again after each one.
// An HTTP/2 codec would report the same events for several streams. Loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>

#include "http/buffer.h"
#include "http/parser.h"
#include "proxy/transport.h"

namespace canaryd::proxy {

class Http1ServerCodec {
 public:
  class Callbacks {
   public:
    // A request's first byte arrived (a 408 or 400 has a stream to report from here on).
    virtual void OnRequestBegin() = 0;
    // The head is complete. `base` is where its offsets count from, valid until NextRequest().
    virtual void OnRequestHead(const http::MessageHead& head, const char* base) = 0;
    // Body bytes, de-chunked. They point into the input buffer: copy them, do no I/O here.
    virtual void OnRequestBody(const char* data, size_t len) = 0;
    // Every body piece of one read was given; `end_stream`: the request is complete.
    virtual void OnRequestBodyRead(bool end_stream) = 0;
    // The request is malformed: answer `status` (400, 431, 413). `in_body`: its head had been
    // reported. The codec reads nothing more.
    virtual void OnRequestError(int status, bool in_body) = 0;
    // The client ended the connection (or it failed) while the codec was reading.
    virtual void OnClientClosed() = 0;
    // Whether the current request's body may be read now (it has somewhere to go).
    virtual bool AcceptsBody() = 0;

   protected:
    ~Callbacks() = default;
  };

  // The most bytes one read takes from the transport.
  static constexpr size_t kReadSize = 16 * 1024;

  Http1ServerCodec(Transport& transport, Callbacks& callbacks, http::ParserLimits limits);
  Http1ServerCodec(const Http1ServerCodec&) = delete;
  Http1ServerCodec& operator=(const Http1ServerCodec&) = delete;

  // Reads and parses as far as the bytes at hand and the callbacks allow.
  void Dispatch();
  // The current request is over (answered or cut): drops its bytes, keeps pipelined ones, and
  // waits for the next. Returns true when no byte of a next request is buffered.
  bool NextRequest();
  // Nothing more is read or reported (the connection is closing).
  void Stop() { state_ = State::kStopped; }

  // The current request's head, from OnRequestHead until NextRequest().
  const http::MessageHead& head() const { return parser_.head(); }
  const char* head_base() const { return head_copied_ ? head_copy_.read_ptr() : input_.read_ptr(); }
  // Between requests, with no byte of a next one buffered.
  bool idle() const { return state_ == State::kIdle && input_.empty(); }
  // The bytes read and not parsed. After an upgrade (101) the tunnel takes them raw.
  http::Buffer& input() { return input_; }

 private:
  enum class State {
    kIdle,      // between requests
    kHead,      // a request's head is being read
    kBody,      // the head was reported; the body (or the completion of a bodiless request)
    kComplete,  // the request was read whole; waits for NextRequest()
    kFailed,    // malformed input or the client's end: nothing more is read
    kStopped,
  };

  // Reads more client bytes; false when none can be had now (on the end, reports it).
  bool FillInput();
  void ParseHead();
  void ParseBody();

  Transport& transport_;
  Callbacks& callbacks_;
  http::Parser parser_;
  http::Buffer input_, head_copy_;
  size_t parsed_ = 0;  // bytes of input_ the parser has taken
  bool head_copied_ = false;
  State state_ = State::kIdle;
};

}  // namespace canaryd::proxy

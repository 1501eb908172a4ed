// The two sides of a proxied request. DownstreamConnection is a client connection and the
// state machine of the request on it (one at a time; pipelined requests wait in its buffer):
// read and parse the head, route, pick a destination and an endpoint, stream the request to an
// UpstreamConnection, stream the response back, reuse both connections when HTTP allows.
// UpstreamConnection is a connection to one endpoint; while a request uses it, its I/O events
// go to that request's DownstreamConnection, which drives both. Loop thread only.
#pragma once

#include <cstdint>
#include <string>

#include "event/event_loop.h"
#include "event/socket.h"
#include "http/buffer.h"
#include "http/parser.h"
#include "proxy/head_writer.h"
#include "proxy/request_info.h"
#include "proxy/worker.h"

namespace canaryd::proxy {

class UpstreamConnection final : public event::IoHandler {
 public:
  UpstreamConnection(Worker* worker, int fd, const router::Endpoint& endpoint);
  ~UpstreamConnection() override;

  void OnIo(uint32_t events) override;
  void Close();

  Worker* worker;
  int fd;
  std::string key;  // the endpoint's address text: the pool key
  DownstreamConnection* owner = nullptr;
  http::Buffer in, out;
  http::Parser parser{http::Parser::Kind::kResponse};
  size_t parsed = 0;
  bool connected = false, readable = false, writable = false, closed = false;
  bool peer_closed = false;  // EPOLLRDHUP seen: read until the end of stream
  bool reused = false;       // taken from the idle pool
  bool idle = false;
  event::Timer timer;  // connect timeout while connecting, idle timeout in the pool
};

class DownstreamConnection final : public event::IoHandler {
 public:
  DownstreamConnection(Worker* worker, int fd, uint32_t gateway_port, std::string peer);
  ~DownstreamConnection() override;

  void OnIo(uint32_t events) override;
  void OnUpstreamIo(UpstreamConnection* up, uint32_t events);
  // Drain: close now when idle, or after the current response.
  void StartDrain();
  bool idle() const { return state_ == State::kIdle && in_.empty(); }

 private:
  enum class State { kIdle, kReadingHead, kProxying, kTunnel, kClosing, kClosed };

  void Drive();
  bool FillInput();  // reads more client bytes; false when none can be had now
  void StartRequest();
  // An absolute-form target: route and forward by its authority and origin-form path.
  void UseAbsoluteTarget();
  void ForwardRequestBody();
  void Connect(int avoid);
  void OnConnectFailed();
  void OnUpstreamTimeout();
  void FlushUpstream();
  void ReadResponse();
  void OnResponseHead();
  // A response head the gateway cannot pass on: 502, response flag UPE.
  void BadResponseHead();
  void WriteResponseBody(const char* data, size_t len);
  void ResponseComplete(bool upstream_reusable);
  void UpstreamFailed(uint32_t flag);
  void LocalReply(int status, uint32_t flag, std::string_view body,
                  std::string_view extra_headers = {});
  // The request is over, answered or cut short: report it to the observer and let go of its
  // route table.
  void ReportRequestEnd();
  void FinishRequest();
  void Flush();
  void Tunnel();
  void DetachUpstream(bool reusable);
  void FinishedOnEndpoint();
  void Close();
  void Abort(uint32_t flag);
  const char* HeadBase() const { return head_copied_ ? head_copy_.read_ptr() : in_.read_ptr(); }

  Worker* w_;
  int fd_;
  uint32_t gateway_port_;
  std::string peer_;
  State state_ = State::kIdle;
  http::Buffer in_, out_, head_copy_;
  http::Parser parser_;
  size_t parsed_ = 0;
  bool head_copied_ = false;
  bool readable_ = false, writable_ = false;
  bool peer_closed_ = false;
  bool close_after_response_ = false;
  bool draining_ = false;
  event::Timer header_timer_, idle_timer_, route_timer_;

  // The request in flight.
  RequestInfo info_;
  TableRef* table_ = nullptr;
  const router::Route* route_ = nullptr;
  const router::Cluster* cluster_ = nullptr;
  int endpoint_ = -1;
  uint64_t lb_generation_ = 0;  // the load balancer's table when the endpoint was picked
  int attempts_ = 0;
  UpstreamConnection* up_ = nullptr;
  bool request_done_ = false;  // the whole request went to (or was buffered for) the upstream
  bool request_sent_ = false;  // some request bytes reached an upstream socket
  bool response_started_ = false;
  bool chunked_request_ = false;
  bool upstream_paused_ = false;  // not reading the upstream: the client is behind
  bool need_drive_ = false;
  ResponseFraming framing_ = ResponseFraming::kContentLength;
  bool absolute_target_ = false;  // the request's target was in absolute form
  std::string origin_target_;     // "/" + what followed the authority, when it had no path
  char request_id_buf_[36];
  std::string_view request_id_;
};

}  // namespace canaryd::proxy

// UpstreamConnection: one connection to one endpoint, pooled by the worker (the pool is keyed by
// the endpoint's address). It is a transport and the response codec that reads from it (the
// parser and the bytes not parsed yet). While an UpstreamRequest uses it, its I/O events and its
// connect timeout go to that request (the User); idle in the pool, any event closes it, and so
// does the idle timeout. Loop thread only.
#pragma once

#include <cstdint>
#include <string>

#include "event/event_loop.h"
#include "http/buffer.h"
#include "http/parser.h"
#include "proxy/transport.h"
#include "router/route_table.h"

namespace canaryd::proxy {

class Worker;

class UpstreamConnection final : public event::IoHandler {
 public:
  // What uses the connection for one request.
  class User {
   public:
    virtual ~User() = default;
    virtual void OnUpstreamEvents(uint32_t events) = 0;
    virtual void OnConnectTimeout() = 0;
  };

  UpstreamConnection(Worker* worker, int fd, const router::Endpoint& endpoint);
  ~UpstreamConnection() override = default;

  void OnIo(uint32_t events) override;
  void Close();

  // ---- the request that uses it
  void Attach(User* user, int64_t connect_timeout_nanos);
  // Requests this connection has carried (each Attach is one).
  uint32_t requests() const { return requests_; }
  void Detach() { user_ = nullptr; }
  // The connect completed (writable without a pending error). False: it failed.
  bool FinishConnect();

  // ---- the worker's pool
  void EnterPool(int64_t idle_timeout_nanos);
  void LeavePool(bool counts_as_reuse);
  bool idle() const { return idle_; }

  PlainTransport& transport() { return transport_; }
  int fd() const { return transport_.fd(); }
  http::Buffer& in() { return in_; }
  http::Buffer& out() { return out_; }
  http::Parser& parser() { return parser_; }
  const std::string& key() const { return key_; }
  bool connected() const { return connected_; }
  bool closed() const { return closed_; }
  bool reused() const { return reused_; }

 private:
  Worker* worker_;
  PlainTransport transport_;
  std::string key_;  // the endpoint's address text: the pool key
  User* user_ = nullptr;
  uint32_t requests_ = 0;
  http::Buffer in_, out_;
  http::Parser parser_{http::Parser::Kind::kResponse};
  bool connected_ = false, closed_ = false;
  bool reused_ = false;  // taken from the idle pool
  bool idle_ = false;
  event::Timer timer_;  // connect timeout while connecting, idle timeout in the pool
};

}  // namespace canaryd::proxy

// AdminServer: canaryd's admin listener, an HTTP/1.1 server for the control plane (the resource
// API that kubectl drives, and later metrics and the dashboard). Low volume, so the design is
// the simple one: an accept thread and one thread per connection, bounded in number, with
// keep-alive, size limits (431 for headers, 413 for bodies), timeouts, 400 and close on
// malformed input, and chunked streaming responses for watches. Requests are parsed with llhttp
// and dispatched through a Router, which other parts fill in.
//
// Security: on a loopback address anyone local may call it, as with a kubeconfig on the same
// machine. On any other address every request except public routes (/healthz, /readyz) needs
// `Authorization: Bearer <token>`; Start refuses a non-loopback address without a token. Tokens
// are compared in constant time. With a TlsContext the listener speaks HTTPS (kubectl sends
// tokens only over TLS). Web pages are kept out by the RequestGuard (request_guard.h): Host must
// name the listener (DNS rebinding), writes must not come from another Origin nor carry a body
// a browser sends cross-site unasked, and CORS is never granted: no response carries an
// Access-Control-* header.
//
// Capacity, so that idle or slow clients cannot lock kubectl out: a new connection must send
// its first byte within first_byte_timeout_ms (5 s), a kept-alive one its next request within
// idle_timeout_ms, a started request must be complete within read_timeout_ms. Up to
// max_connections connections are served at once. When they are all taken, up to
// reserved_connections more are accepted "on probation": such a connection gets a slot only once
// it has sent a complete request, and then takes the slot of the connection that has been
// waiting on its client the longest: one that has sent nothing yet, is idle between requests,
// is part-way through sending a request (slowloris) or does not read its response (a stalled
// write). Only when every slot is doing work (handling a request, writing to a client that
// reads, streaming) is the complete request answered 503. When the probation places are full
// too, the newest arrival takes the place of the oldest one on probation that is still waiting,
// so a flood of connections cannot keep out a client that sends its request at once. Streams
// (watches) may take at most max_streams slots; more get 429, so that a share of the slots
// always serves ordinary requests.
//
// Thread-safety: Start, Stop and the accessors may be called from any thread; Stop waits for
// every connection thread. The Router must outlive the server.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/request_guard.h"
#include "api/router.h"
#include "api/tls.h"
#include "common/status.h"

namespace canaryd::api {

struct AdminServerOptions {
  // "host:port", "[v6]:port" or ":port" (every interface). Port 0 picks a free port.
  std::string address = "127.0.0.1:15000";
  // Host names clients may address the listener by besides its address, "NAME" (with the
  // listener's port) or "NAME:PORT" (e.g. behind a port forward); see request_guard.h.
  std::vector<std::string> allowed_hosts;
  std::string token;                   // the bearer token; empty for none
  bool require_token = false;          // require it on loopback too (tests, shared machines)
  bool refuse_browser_writes = false;  // --ui-read-only (request_guard.h)
  size_t max_connections = 256;        // connections served at once
  size_t reserved_connections = 32;    // more accepted on probation when those are all taken
  size_t max_streams = 192;            // of max_connections, those that may stream (watches)
  size_t max_header_bytes = 64 << 10;  // request line and headers
  size_t max_body_bytes = 3 << 20;     // as kube-apiserver's request limit
  int first_byte_timeout_ms = 5'000;   // from accepting (and the TLS handshake) to a first byte
  int idle_timeout_ms = 120'000;       // between requests on a kept-alive connection
  int read_timeout_ms = 30'000;        // to receive one whole request
  int write_timeout_ms = 30'000;       // for each write to a client
  // Serve HTTPS with this context; null for plain HTTP.
  std::shared_ptr<TlsContext> tls;
};

class AdminServer {
 public:
  // Binds and starts serving. Errors: kInvalidArgument for a bad address or allowed host,
  // kFailedPrecondition for a non-loopback address without a token, kIoError when the bind
  // fails.
  static Result<std::unique_ptr<AdminServer>> Start(const AdminServerOptions& options,
                                                    Router& router);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Stops accepting, ends every connection and stream, and joins their threads. Idempotent.
  void Stop();

  // The bound address, e.g. "127.0.0.1:41234", and its port.
  const std::string& address() const { return bound_address_; }
  uint16_t port() const { return port_; }
  bool token_required() const { return token_required_; }
  bool tls() const { return options_.tls != nullptr; }
  size_t active_connections() const;
  // Connections closed to make room for others (see Capacity above), since the start.
  size_t evicted_connections() const { return evicted_; }

 private:
  struct Connection;
  AdminServer(const AdminServerOptions& options, Router& router);

  void AcceptLoop();
  void Serve(Connection* c);
  void ReapFinished(bool all);
  bool Authorized(const HttpRequest& req) const;
  // Under mu_: whether a new connection may be served, now or on probation (maybe evicting
  // another on probation to make room); sets c.probation.
  bool AdmitLocked(Connection& c);
  // A connection on probation with a complete request: gets it a slot, evicting the one that
  // has waited longest if need be. False when every slot is doing work.
  bool Claim(Connection* c);
  // Under mu_: closes `c` if it is still waiting on its client; whether it was.
  bool EvictLocked(Connection* c);

  const AdminServerOptions options_;
  Router& router_;
  std::optional<RequestGuard> guard_;
  bool token_required_ = false;
  unsigned char token_digest_[32] = {};
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};  // readable once Stop has begun
  std::string bound_address_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> evicted_{0};
  std::atomic<size_t> streams_{0};
  std::thread accept_thread_;

  mutable std::mutex mu_;
  std::list<std::unique_ptr<Connection>> connections_;  // guarded by mu_
};

// Whether `host` (a literal address or "localhost") is a loopback address.
bool IsLoopbackHost(const std::string& host);

// Splits "host:port", "[v6]:port" or ":port" into host ("" for every interface) and port.
bool SplitHostPort(const std::string& address, std::string* host, uint16_t* port);

}  // namespace canaryd::api

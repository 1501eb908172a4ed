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
// tokens only over TLS).
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
#include <string>
#include <thread>

#include "api/router.h"
#include "api/tls.h"
#include "common/status.h"

namespace canaryd::api {

struct AdminServerOptions {
  // "host:port", "[v6]:port" or ":port" (every interface). Port 0 picks a free port.
  std::string address = "127.0.0.1:15000";
  std::string token;           // the bearer token; empty for none
  bool require_token = false;  // require it on loopback too (tests, shared machines)
  size_t max_connections = 256;
  size_t max_header_bytes = 64 << 10;  // request line and headers
  size_t max_body_bytes = 3 << 20;     // as kube-apiserver's request limit
  int idle_timeout_ms = 120'000;       // between requests on a kept-alive connection
  int read_timeout_ms = 30'000;        // to receive one whole request
  int write_timeout_ms = 30'000;       // for each write to a client
  // Serve HTTPS with this context; null for plain HTTP.
  std::shared_ptr<TlsContext> tls;
};

class AdminServer {
 public:
  // Binds and starts serving. Errors: kInvalidArgument for a bad address, kFailedPrecondition
  // for a non-loopback address without a token, kIoError when the bind fails.
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

 private:
  struct Connection;
  AdminServer(const AdminServerOptions& options, Router& router);

  void AcceptLoop();
  void Serve(Connection* c);
  void ReapFinished(bool all);
  bool Authorized(const HttpRequest& req) const;

  const AdminServerOptions options_;
  Router& router_;
  bool token_required_ = false;
  unsigned char token_digest_[32] = {};
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};  // readable once Stop has begun
  std::string bound_address_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;

  mutable std::mutex mu_;
  std::list<std::unique_ptr<Connection>> connections_;  // guarded by mu_
};

// Whether `host` (a literal address or "localhost") is a loopback address.
bool IsLoopbackHost(const std::string& host);

// Splits "host:port", "[v6]:port" or ":port" into host ("" for every interface) and port.
bool SplitHostPort(const std::string& address, std::string* host, uint16_t* port);

}  // namespace canaryd::api

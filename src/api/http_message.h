// HttpRequest and HttpResponse: one request as the admin server parsed it and the answer a
// handler gives, plus ResponseStream, the body of a streaming (chunked) answer such as a watch.
// Requests and plain responses are values owned by one thread. A ResponseStream is shared: any
// thread may Send to it or Close it; the admin server's connection thread drains it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace canaryd::api {

struct HttpHeader {
  std::string name;  // lower-case
  std::string value;
};

struct HttpRequest {
  std::string method;                                      // "GET", "POST", ...
  std::string target;                                      // the request-target as received
  std::string path;                                        // target's path, percent-decoded
  std::string raw_query;                                   // after '?', not decoded
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  std::vector<HttpHeader> headers;
  std::string body;
  std::string remote_address;

  // The first header of that name (case-insensitive), or nullptr.
  const std::string* Header(std::string_view name) const;
  // The first query parameter of that name, or nullopt.
  std::optional<std::string> Query(std::string_view name) const;
  // Query(name) or `fallback`.
  std::string QueryOr(std::string_view name, std::string_view fallback) const;

  // Sets target, path, raw_query and query from a request-target. Returns false when the target
  // is not origin-form (must start with '/') or holds a bad percent-escape.
  bool SetTarget(std::string_view target);
};

class ResponseStream;

struct HttpResponse {
  int status = 200;
  std::vector<HttpHeader> headers;
  std::string body;
  // When set, the response is sent with chunked encoding: first what is already in the stream,
  // then whatever any thread sends, until the stream is closed or the client goes away.
  std::shared_ptr<ResponseStream> stream;

  HttpResponse& SetHeader(std::string name, std::string value);
  const std::string* Header(std::string_view name) const;

  static HttpResponse Text(int status, std::string body);
  static HttpResponse Json(int status, std::string body,
                           std::string content_type = "application/json");
};

// The body of a streaming response. Thread-safe. Send never blocks: data is queued and written
// by the connection's thread; a client that does not read stops the stream once more than
// `max_buffered` bytes wait (as Kubernetes drops a slow watcher, which then resumes).
class ResponseStream {
 public:
  explicit ResponseStream(size_t max_buffered = 16 << 20);
  ~ResponseStream();
  ResponseStream(const ResponseStream&) = delete;
  ResponseStream& operator=(const ResponseStream&) = delete;

  // Queues one chunk. Returns false (and drops it) once the stream has ended.
  bool Send(std::string data);
  // Ends the stream after what is queued has been written.
  void Close();
  // Whether the stream has ended: closed, overflowed, client gone or server stopping.
  bool ended() const;
  // Runs `f` once when the stream ends, for any reason, on the connection's thread (or at once,
  // on the caller's thread, when it has already ended). Use it to release what feeds the
  // stream, e.g. cancel a store watch.
  void OnEnd(std::function<void()> f);
  // Ends the stream normally (as Close) once `ms` milliseconds have passed from now, e.g. a
  // watch's timeoutSeconds. Call before returning the response.
  void CloseAfter(int64_t ms);

  // ---- for the server's connection thread
  // Moves queued chunks into `out`; returns whether Close() was called.
  bool Drain(std::vector<std::string>& out);
  // A file descriptor that becomes readable when there is something to drain.
  int wake_fd() const { return wake_fd_; }
  void ClearWake();
  // Marks the stream ended and runs the OnEnd callbacks.
  void End();
  // Milliseconds until CloseAfter's deadline (INT64_MAX when none); closes the stream when it
  // has passed.
  int64_t MillisUntilDeadline();

 private:
  void Wake();

  const size_t max_buffered_;
  int wake_fd_ = -1;
  mutable std::mutex mu_;
  std::deque<std::string> queue_;              // guarded by mu_
  size_t buffered_ = 0;                        // guarded by mu_
  bool closing_ = false;                       // guarded by mu_
  bool ended_ = false;                         // guarded by mu_
  std::vector<std::function<void()>> on_end_;  // guarded by mu_
  int64_t deadline_ms_ = 0;                    // steady clock; 0 = none; guarded by mu_
};

// Case-insensitive ASCII comparison.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// A Content-Type's media type without its parameters, lower-case ("Application/JSON; charset=x"
// -> "application/json"); "" for an empty one.
std::string MediaType(std::string_view content_type);
// Decodes %XX escapes (and '+' as space when `plus_is_space`); nullopt on a bad escape.
std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space);
// Encodes everything but unreserved characters.
std::string PercentEncode(std::string_view s);
// The reason phrase of a status code ("Not Found").
const char* ReasonPhrase(int status);

}  // namespace canaryd::api

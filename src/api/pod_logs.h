// PodLogSource: where the API reads a Pod's container logs from (pods/log, kubectl logs). The
// workload runtime implements it; the API only parses the request and answers with what the
// source gives (text, or a stream for follow). Logs() is called on admin threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "api/api_error.h"
#include "api/http_message.h"

namespace canaryd::api {

struct PodLogRequest {
  std::string ns, pod;
  std::string container;  // "" when the request names none
  bool follow = false;
  bool previous = false;
  std::optional<int64_t> tail_lines;
  std::optional<int64_t> limit_bytes;
};

class PodLogSource {
 public:
  virtual ~PodLogSource() = default;
  // The log as an HTTP response (text/plain; a stream when following), or the error Kubernetes
  // gives (container not named in a Pod of several, no previous instance, ...).
  virtual ApiResult<HttpResponse> Logs(const PodLogRequest& request) = 0;
};

}  // namespace canaryd::api

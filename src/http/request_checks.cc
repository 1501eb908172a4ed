#include "http/request_checks.h"

#include <llhttp.h>

namespace canaryd::http {

int CheckRequestHead(const MessageHead& head, const char* base, const char** reason) {
  if (head.http_major != 1) {
    *reason = "only HTTP/1.0 and HTTP/1.1 are served here";
    return 400;
  }
  if (head.method == HTTP_CONNECT) {
    *reason = "CONNECT is not allowed";
    return 405;
  }
  int hosts = 0;
  bool transfer_encoding = false;
  for (const HeaderSlice& h : head.headers) {
    std::string_view name = h.name.in(base);
    if (name.size() == 4 && EqualsLower(name, "host")) ++hosts;
    if (name.size() == 17 && EqualsLower(name, "transfer-encoding")) transfer_encoding = true;
  }
  if (hosts > 1) {
    *reason = "more than one Host header";
    return 400;
  }
  if (hosts == 0 && head.http_minor >= 1) {
    *reason = "HTTP/1.1 request without Host";
    return 400;
  }
  if (transfer_encoding && head.http_minor == 0) {
    *reason = "Transfer-Encoding in an HTTP/1.0 request";
    return 400;
  }
  std::string_view target = head.url.in(base);
  bool origin = !target.empty() && target[0] == '/';
  bool absolute = target.rfind("http://", 0) == 0 || target.rfind("https://", 0) == 0;
  bool asterisk = target == "*" && head.method == HTTP_OPTIONS;
  if (!origin && !absolute && !asterisk) {
    *reason = "invalid request target";
    return 400;
  }
  return 0;
}

}  // namespace canaryd::http

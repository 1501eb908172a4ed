#include "http/request_checks.h"

#include <llhttp.h>

#include "http/header_lists.h"
#include "http/request_target.h"

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
  ConnectionValues connection = ConnectionValues::Of(head, base);
  if (connection.overflow) {
    *reason = "too many Connection header fields";
    return 400;
  }
  if (connection.Names("content-length") || connection.Names("transfer-encoding") ||
      connection.Names("host")) {
    *reason =
        "Connection names Content-Length, Transfer-Encoding or Host, which cannot be hop-by-hop";
    return 400;
  }
  std::string_view target = head.url.in(base);
  bool origin = !target.empty() && target[0] == '/';
  AbsoluteTarget parts;
  bool absolute = IsAbsoluteForm(target);
  if (absolute && !SplitAbsoluteForm(target, &parts)) {
    *reason = "invalid absolute request target";
    return 400;
  }
  bool asterisk = target == "*" && head.method == HTTP_OPTIONS;
  if (!origin && !absolute && !asterisk) {
    *reason = "invalid request target";
    return 400;
  }
  return 0;
}

int CheckResponseHead(const MessageHead& head, const char* base, const char** reason) {
  ConnectionValues connection = ConnectionValues::Of(head, base);
  if (connection.overflow) {
    *reason = "too many Connection header fields in the response";
    return 502;
  }
  if (connection.Names("content-length") || connection.Names("transfer-encoding")) {
    *reason = "the response's Connection names Content-Length or Transfer-Encoding";
    return 502;
  }
  return 0;
}

}  // namespace canaryd::http

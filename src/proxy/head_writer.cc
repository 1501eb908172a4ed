#include "proxy/head_writer.h"

#include "http/header_lists.h"

namespace canaryd::proxy {
using http::EqualsLower;
namespace {

void AppendHeader(std::string_view name, std::string_view value, http::Buffer& out) {
  out.Append(name);
  out.Append(": ", 2);
  out.Append(value);
  out.Append("\r\n", 2);
}

}  // namespace

void AppendHeaderChanges(const router::HeaderLevels& levels, http::Buffer& out, bool skip_cors) {
  auto skipped = [&](const std::string& name) {
    return skip_cors && name.starts_with("access-control-");
  };
  for (size_t i = 0; i < 2; ++i) {
    const router::HeaderOps* ops = levels.levels[i];
    if (ops == nullptr) continue;
    for (const auto& [name, value] : ops->set) {
      if (name != "host" && !levels.DroppedAfter(i, name) && !skipped(name)) {
        AppendHeader(name, value, out);
      }
    }
    for (const auto& [name, value] : ops->add) {
      if (!levels.DroppedAfter(i, name) && !skipped(name)) AppendHeader(name, value, out);
    }
  }
}

void WriteUpstreamRequest(const http::MessageHead& head, const char* base,
                          const UpstreamRequestSpec& spec, http::Buffer& out) {
  http::ConnectionValues connection = http::ConnectionValues::Of(head, base);
  out.Append(head.method_name.in(base));
  out.Append(" ", 1);
  out.Append(spec.target);
  out.Append(" HTTP/1.1\r\n", 11);
  bool has_host = false;
  bool changes = !spec.headers.empty();
  for (const http::HeaderSlice& h : head.headers) {
    std::string_view name = h.name.in(base);
    std::string_view value = h.value.in(base);
    if (http::IsHopByHop(name, connection)) continue;
    if (changes && spec.headers.Drops(name)) continue;
    switch (name.size()) {
      case 4:
        if (EqualsLower(name, "host")) {
          if (!spec.host_override.empty()) continue;
          has_host = true;
        }
        break;
      case 6:
        if (EqualsLower(name, "expect")) continue;  // the proxy answers 100-continue itself
        break;
      case 12:
        if (EqualsLower(name, "x-request-id")) continue;  // written below
        break;
      case 15:
        if (EqualsLower(name, "x-forwarded-for")) continue;  // written below
        break;
      case 17:
        if (EqualsLower(name, "x-forwarded-proto")) continue;
        break;
      case 21:
        if (!spec.original_path.empty() && EqualsLower(name, "x-envoy-original-path")) continue;
        if (spec.attempt_count != 0 && EqualsLower(name, "x-envoy-attempt-count")) continue;
        break;
      default:
        break;
    }
    out.Append(name);
    out.Append(": ", 2);
    out.Append(value);
    out.Append("\r\n", 2);
  }
  std::string_view host = !spec.host_override.empty() ? spec.host_override
                          : has_host                  ? std::string_view()
                                                      : spec.host_fallback;
  if (!host.empty()) {
    out.Append("host: ");
    out.Append(host);
    out.Append("\r\n", 2);
  }
  if (!changes) {
    out.Append("x-forwarded-for: ");
    if (!spec.forwarded_for.empty()) {
      out.Append(spec.forwarded_for);
      out.Append(", ", 2);
    }
    out.Append(spec.client_address);
    out.Append("\r\nx-forwarded-proto: http\r\nx-request-id: ");
    out.Append(spec.request_id);
    out.Append("\r\n", 2);
  } else {
    // Envoy applies a route's header changes after its own forwarding headers, so they may
    // remove or replace those too.
    if (!spec.headers.Drops("x-forwarded-for")) {
      out.Append("x-forwarded-for: ");
      if (!spec.forwarded_for.empty()) {
        out.Append(spec.forwarded_for);
        out.Append(", ", 2);
      }
      out.Append(spec.client_address);
      out.Append("\r\n", 2);
    }
    if (!spec.headers.Drops("x-forwarded-proto")) out.Append("x-forwarded-proto: http\r\n");
    if (!spec.headers.Drops("x-request-id")) AppendHeader("x-request-id", spec.request_id, out);
    AppendHeaderChanges(spec.headers, out);
  }
  // The gateway's own x-envoy-* headers give way to the route's changes of them.
  if (!spec.original_path.empty() && !(changes && spec.headers.Drops("x-envoy-original-path"))) {
    AppendHeader("x-envoy-original-path", spec.original_path, out);
  }
  if (spec.attempt_count != 0 && !(changes && spec.headers.Drops("x-envoy-attempt-count"))) {
    out.Append("x-envoy-attempt-count: ");
    out.AppendDecimal(spec.attempt_count);
    out.Append("\r\n", 2);
  }
  if (spec.upgrade) {
    std::string_view upgrade = head.Find(base, "upgrade");
    out.Append("connection: upgrade\r\nupgrade: ");
    out.Append(upgrade);
    out.Append("\r\n", 2);
  } else if (spec.chunked_body) {
    out.Append("transfer-encoding: ");
    http::AppendCodingsBeforeChunked(head, base, out);
    out.Append("chunked\r\n");
  }
  out.Append("\r\n", 2);
}

void WriteResponseHead(const http::MessageHead& head, const char* base, const ResponseSpec& spec,
                       http::Buffer& out) {
  http::ConnectionValues connection = http::ConnectionValues::Of(head, base);
  out.Append(spec.http10_client ? "HTTP/1.0 " : "HTTP/1.1 ");
  out.AppendDecimal(static_cast<uint64_t>(head.status));
  out.Append(" ", 1);
  if (head.reason.empty()) {
    out.Append(http::ReasonPhrase(head.status));
  } else {
    out.Append(head.reason.in(base));
  }
  out.Append("\r\n", 2);
  bool changes = !spec.headers.empty();
  for (const http::HeaderSlice& h : head.headers) {
    std::string_view name = h.name.in(base);
    if (http::IsHopByHop(name, connection)) continue;
    if (changes && spec.headers.Drops(name)) continue;
    if (!spec.cors_headers.empty() && name.size() >= 27 &&
        (EqualsLower(name, "access-control-allow-origin") ||
         EqualsLower(name, "access-control-allow-credentials") ||
         EqualsLower(name, "access-control-expose-headers"))) {
      continue;
    }
    if (spec.framing == ResponseFraming::kChunked && name.size() == 14 &&
        EqualsLower(name, "content-length")) {
      continue;
    }
    out.Append(name);
    out.Append(": ", 2);
    out.Append(h.value.in(base));
    out.Append("\r\n", 2);
  }
  if (changes) AppendHeaderChanges(spec.headers, out, !spec.cors_headers.empty());
  out.Append(spec.cors_headers);
  out.Append(spec.set_cookie);
  if (spec.upgrade) {
    out.Append("connection: upgrade\r\nupgrade: ");
    out.Append(head.Find(base, "upgrade"));
    out.Append("\r\n", 2);
  } else if (spec.framing == ResponseFraming::kChunked) {
    out.Append("transfer-encoding: ");
    http::AppendCodingsBeforeChunked(head, base, out);
    out.Append("chunked\r\n");
  }
  if (spec.close) {
    out.Append("connection: close\r\n");
  } else if (spec.keep_alive_10) {
    out.Append("connection: keep-alive\r\n");
  }
  out.Append("\r\n", 2);
}

}  // namespace canaryd::proxy

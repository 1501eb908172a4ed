#include "proxy/head_writer.h"

namespace canaryd::proxy {
namespace {

using http::EqualsLower;

// Whether `connection` (a comma-separated token list) lists `name`.
bool ListsToken(std::string_view connection, std::string_view name) {
  while (!connection.empty()) {
    size_t comma = connection.find(',');
    std::string_view token = connection.substr(0, comma);
    while (!token.empty() && (token.front() == ' ' || token.front() == '\t'))
      token.remove_prefix(1);
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
    if (token.size() == name.size()) {
      bool same = true;
      for (size_t i = 0; i < name.size() && same; ++i) {
        char a = token[i], b = name[i];
        if (a >= 'A' && a <= 'Z') a = static_cast<char>(a + 32);
        if (b >= 'A' && b <= 'Z') b = static_cast<char>(b + 32);
        same = a == b;
      }
      if (same) return true;
    }
    if (comma == std::string_view::npos) break;
    connection.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

bool IsHopByHop(std::string_view name, std::string_view connection_value) {
  switch (name.size()) {
    case 2:
      return EqualsLower(name, "te");
    case 7:
      return EqualsLower(name, "trailer") || EqualsLower(name, "upgrade");
    case 10:
      return EqualsLower(name, "connection") || EqualsLower(name, "keep-alive");
    case 16:
      return EqualsLower(name, "proxy-connection");
    case 17:
      return EqualsLower(name, "transfer-encoding");
    default:
      break;
  }
  return !connection_value.empty() && ListsToken(connection_value, name);
}

void WriteUpstreamRequest(const http::MessageHead& head, const char* base,
                          const UpstreamRequestSpec& spec, http::Buffer& out) {
  std::string_view connection = head.Find(base, "connection");
  out.Append(head.method_name.in(base));
  out.Append(" ", 1);
  out.Append(head.url.in(base));
  out.Append(" HTTP/1.1\r\n", 11);
  bool has_host = false;
  for (const http::HeaderSlice& h : head.headers) {
    std::string_view name = h.name.in(base);
    std::string_view value = h.value.in(base);
    if (IsHopByHop(name, connection)) continue;
    switch (name.size()) {
      case 4:
        if (EqualsLower(name, "host")) has_host = true;
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
      default:
        break;
    }
    out.Append(name);
    out.Append(": ", 2);
    out.Append(value);
    out.Append("\r\n", 2);
  }
  if (!has_host && !spec.host_fallback.empty()) {
    out.Append("host: ");
    out.Append(spec.host_fallback);
    out.Append("\r\n", 2);
  }
  out.Append("x-forwarded-for: ");
  if (!spec.forwarded_for.empty()) {
    out.Append(spec.forwarded_for);
    out.Append(", ", 2);
  }
  out.Append(spec.client_address);
  out.Append("\r\nx-forwarded-proto: http\r\nx-request-id: ");
  out.Append(spec.request_id);
  out.Append("\r\n", 2);
  if (spec.upgrade) {
    std::string_view upgrade = head.Find(base, "upgrade");
    out.Append("connection: upgrade\r\nupgrade: ");
    out.Append(upgrade);
    out.Append("\r\n", 2);
  } else if (spec.chunked_body) {
    out.Append("transfer-encoding: chunked\r\n");
  }
  out.Append("\r\n", 2);
}

void WriteResponseHead(const http::MessageHead& head, const char* base, const ResponseSpec& spec,
                       http::Buffer& out) {
  std::string_view connection = head.Find(base, "connection");
  out.Append(spec.http10_client ? "HTTP/1.0 " : "HTTP/1.1 ");
  out.AppendDecimal(static_cast<uint64_t>(head.status));
  out.Append(" ", 1);
  if (head.reason.empty()) {
    out.Append(http::ReasonPhrase(head.status));
  } else {
    out.Append(head.reason.in(base));
  }
  out.Append("\r\n", 2);
  for (const http::HeaderSlice& h : head.headers) {
    std::string_view name = h.name.in(base);
    if (IsHopByHop(name, connection)) continue;
    if (spec.framing == ResponseFraming::kChunked && name.size() == 14 &&
        EqualsLower(name, "content-length")) {
      continue;
    }
    out.Append(name);
    out.Append(": ", 2);
    out.Append(h.value.in(base));
    out.Append("\r\n", 2);
  }
  if (spec.upgrade) {
    out.Append("connection: upgrade\r\nupgrade: ");
    out.Append(head.Find(base, "upgrade"));
    out.Append("\r\n", 2);
  } else if (spec.framing == ResponseFraming::kChunked) {
    out.Append("transfer-encoding: chunked\r\n");
  }
  if (spec.close) {
    out.Append("connection: close\r\n");
  } else if (spec.keep_alive_10) {
    out.Append("connection: keep-alive\r\n");
  }
  out.Append("\r\n", 2);
}

}  // namespace canaryd::proxy

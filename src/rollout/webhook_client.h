// The canary controller's webhook client: POSTs Flagger's JSON payload to a gate or hook URL and
// reports whether the remote accepted it. Blocking with a hard timeout; called from the
// controller's thread (any thread may call it: nothing is shared between calls).
//
// The remote is untrusted. The call never follows redirects (a 3xx fails, naming the
// Location), reads at most 64 KiB of the body (the rest is not read; the outcome still follows
// the status), ignores http_proxy/https_proxy/all_proxy from the environment (Flagger, using
// Go's default transport, honours them; ours would otherwise send hook bodies through a proxy
// meant for other traffic), asks for no compression, and verifies https certificates against
// the system's CAs. The timeout bounds the whole call, name resolution included (libcurl's
// threaded resolver), so a call returns within about `timeout` whatever the remote does. Each
// call opens its own connection: calls are seconds apart and a pooled connection is state a
// hostile remote could poison.
//
// Success is any 2xx. Flagger accepts only 200-202 (webhook.go); we also accept 203-206, since a
// 204 No Content from a gate that has nothing to say is a common way to say yes.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

namespace canaryd::rollout {

struct WebhookCall {
  std::string url;   // http:// or https://
  std::string body;  // sent as is, Content-Type: application/json (see WebhookPayload)
  std::chrono::milliseconds timeout{10000};         // the whole call; Flagger's default
  std::chrono::milliseconds connect_timeout{5000};  // capped by `timeout`
  // Extra request headers (e.g. Authorization). Refused, without any request sent: names that
  // are not HTTP tokens, values with CR/LF/NUL, and Content-Type, Content-Length,
  // Transfer-Encoding, Expect, Connection, Upgrade, TE.
  std::map<std::string, std::string> headers;
};

struct WebhookOutcome {
  bool ok = false;       // a 2xx arrived
  long http_status = 0;  // 0 when no response arrived
  // Empty when ok. Otherwise one short printable line, e.g. "timeout after 10s",
  // "connect timeout after 5s", "connection refused", "cannot resolve host <name>",
  // "TLS: ...", "connection closed before a response", "connection closed mid-response (after
  // HTTP 200)", "HTTP 500: <first 200 bytes of the body, non-printable bytes as '?'>",
  // "HTTP 301: redirect to <Location> not followed", "URL must start with http:// or
  // https://", "invalid header name ...".
  std::string error;
  std::chrono::milliseconds duration{0};
};

WebhookOutcome CallWebhook(const WebhookCall& call);

// Flagger's webhook body: {"name","namespace","phase","checksum","metadata":{...}}, with
// "metadata" left out when empty (Flagger's Go struct has `json:"metadata,omitempty"`). Bytes
// that are not valid UTF-8 become U+FFFD rather than failing. Pure; any thread.
std::string WebhookPayload(std::string_view name, std::string_view ns, std::string_view phase,
                           std::string_view checksum,
                           const std::map<std::string, std::string>& metadata);

}  // namespace canaryd::rollout

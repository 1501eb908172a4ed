// Checks on a parsed head that llhttp leaves to the application (RFC 9112). Requests: exactly
// one Host in HTTP/1.1, HTTP/1.x only, no Transfer-Encoding in HTTP/1.0, an origin-form,
// absolute-form or asterisk target, no CONNECT (the gateway does not tunnel TCP), and no
// Connection header naming Content-Length, Transfer-Encoding or Host. Responses (a backend is
// as untrusted as a client): no Connection header naming Content-Length or Transfer-Encoding.
// Pure functions; any thread.
//
// Why Connection is checked: a hop-by-hop header is removed before forwarding, so a message
// that names its own framing header in Connection would be framed one way by the gateway and
// another way by the next hop (a request smuggled in a body), and one that names Host would be
// routed by one Host and delivered with another. Such a message is refused, as the strictest
// peers do, rather than forwarded with the nomination ignored: nothing legitimate sends it.
#pragma once

#include "http/message.h"

namespace canaryd::http {

// 0 when the head is acceptable, else the status to answer (400 or 405) and *reason.
int CheckRequestHead(const MessageHead& head, const char* base, const char** reason);

// 0 when the response head is acceptable, else 502 and *reason.
int CheckResponseHead(const MessageHead& head, const char* base, const char** reason);

}  // namespace canaryd::http

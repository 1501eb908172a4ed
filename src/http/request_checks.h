// Checks on a parsed request head that llhttp leaves to the application (RFC 9112): exactly
// one Host in HTTP/1.1, HTTP/1.x only, no Transfer-Encoding in HTTP/1.0, an origin-form,
// absolute-form or asterisk target, and no CONNECT (the gateway does not tunnel TCP). Pure
// function; any thread.
#pragma once

#include "http/message.h"

namespace canaryd::http {

// 0 when the head is acceptable, else the status to answer (400 or 405) and *reason.
int CheckRequestHead(const MessageHead& head, const char* base, const char** reason);

}  // namespace canaryd::http

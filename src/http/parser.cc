#include "http/parser.h"

namespace canaryd::http {

namespace {
Parser* Self(llhttp_t* p) {
  return static_cast<Parser*>(p->data);
}
}  // namespace

Parser::Parser(Kind kind, ParserLimits limits) : kind_(kind), limits_(limits) {
  llhttp_settings_init(&settings_);
  settings_.on_message_begin = &Parser::OnMessageBegin;
  settings_.on_url = &Parser::OnUrl;
  settings_.on_method = &Parser::OnMethod;
  settings_.on_status = &Parser::OnStatus;
  settings_.on_header_field = &Parser::OnHeaderField;
  settings_.on_header_value = &Parser::OnHeaderValue;
  settings_.on_headers_complete = &Parser::OnHeadersComplete;
  settings_.on_body = &Parser::OnBody;
  settings_.on_message_complete = &Parser::OnMessageComplete;
  llhttp_init(&parser_, kind == Kind::kRequest ? HTTP_REQUEST : HTTP_RESPONSE, &settings_);
  parser_.data = this;
  head_.headers.reserve(32);
  body_.reserve(8);
}

void Parser::Reset() {
  head_.Clear();
  body_.clear();
  in_value_ = false;
  head_complete_ = false;
  started_ = false;
  message_complete_ = false;
  complete_pending_ = false;
  head_reported_ = false;
  head_bytes_fed_ = 0;
  trailer_bytes_ = 0;
  error_status_ = 0;
  error_reason_ = "";
  // After a paused message-complete, the parser must be resumed before the next message.
  if (llhttp_get_errno(&parser_) == HPE_PAUSED) llhttp_resume(&parser_);
}

Parser::State Parser::Feed(const char* base, const char* data, size_t len, size_t* consumed) {
  *consumed = 0;
  body_.clear();
  if (complete_pending_) {
    complete_pending_ = false;
    return State::kMessageComplete;
  }
  base_ = base;
  if (!head_complete_ && static_cast<size_t>(data - base) != head_bytes_fed_) {
    // The head's slices are offsets from `base`: bytes of it that moved or were consumed
    // would make them point at whatever the memory holds now (another connection's bytes).
    Fail(kind_ == Kind::kRequest ? 400 : 502, "the head's first bytes were not kept in place");
    return State::kError;
  }
  if (len == 0) return State::kNeedMore;
  llhttp_errno_t err = llhttp_execute(&parser_, data, len);
  if (err == HPE_OK) {
    *consumed = len;
    if (!head_complete_) head_bytes_fed_ += len;
    if (!head_complete_ && static_cast<size_t>(data + len - base) > limits_.max_head_bytes) {
      Fail(431, "request head larger than the limit");
      return State::kError;
    }
    return State::kNeedMore;
  }
  const char* pos = llhttp_get_error_pos(&parser_);
  *consumed = pos ? static_cast<size_t>(pos - data) : len;
  if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
    if (err == HPE_PAUSED_UPGRADE) llhttp_resume_after_upgrade(&parser_);
    if (head_complete_ && !head_reported_) {
      head_reported_ = true;
      if (message_complete_) complete_pending_ = true;
      return State::kHeadComplete;
    }
    if (message_complete_) return State::kMessageComplete;
    return State::kNeedMore;
  }
  if (error_status_ == 0) {
    error_status_ = kind_ == Kind::kRequest ? 400 : 502;
    error_reason_ = llhttp_get_error_reason(&parser_);
  }
  return State::kError;
}

Parser::State Parser::Finish() {
  llhttp_errno_t err = llhttp_finish(&parser_);
  if (err == HPE_OK || err == HPE_PAUSED) {
    if (message_complete_) return State::kMessageComplete;
    if (!started_) return State::kNeedMore;  // clean close between messages
  }
  if (error_status_ == 0) {
    error_status_ = kind_ == Kind::kRequest ? 400 : 502;
    error_reason_ = err == HPE_OK ? "connection closed before the message was complete"
                                  : llhttp_get_error_reason(&parser_);
  }
  return State::kError;
}

int Parser::Fail(int status, const char* reason) {
  error_status_ = status;
  error_reason_ = reason;
  return HPE_USER;
}

void Parser::Extend(Slice& s, const char* at, size_t len) {
  if (s.length == 0) s.offset = static_cast<uint32_t>(at - base_);
  s.length += static_cast<uint32_t>(len);
}

int Parser::OnMessageBegin(llhttp_t* p) {
  Parser* self = Self(p);
  self->started_ = true;
  return 0;
}

int Parser::OnMethod(llhttp_t* p, const char* at, size_t len) {
  Parser* self = Self(p);
  self->Extend(self->head_.method_name, at, len);
  return 0;
}

int Parser::OnStatus(llhttp_t* p, const char* at, size_t len) {
  Parser* self = Self(p);
  self->Extend(self->head_.reason, at, len);
  return 0;
}

int Parser::OnUrl(llhttp_t* p, const char* at, size_t len) {
  Parser* self = Self(p);
  if (static_cast<size_t>(at + len - self->base_) > self->limits_.max_head_bytes) {
    return self->Fail(431, "request line larger than the limit");
  }
  self->Extend(self->head_.url, at, len);
  return 0;
}

int Parser::SkipTrailer(size_t len) {
  // Trailer fields (after a chunked body) are dropped, as RFC 9110 6.5.1 lets a recipient do;
  // they must not join the head, whose slices count from another base. Their size is bounded
  // like a head's.
  trailer_bytes_ += len;
  if (trailer_bytes_ > limits_.max_head_bytes) return Fail(400, "trailer larger than the limit");
  return 0;
}

int Parser::OnHeaderField(llhttp_t* p, const char* at, size_t len) {
  Parser* self = Self(p);
  if (self->head_complete_) return self->SkipTrailer(len);
  if (static_cast<size_t>(at + len - self->base_) > self->limits_.max_head_bytes) {
    return self->Fail(431, "header block larger than the limit");
  }
  auto& headers = self->head_.headers;
  if (headers.empty() || self->in_value_) {
    if (headers.size() >= self->limits_.max_headers) {
      return self->Fail(431, "more headers than the limit");
    }
    headers.emplace_back();
    self->in_value_ = false;
  }
  self->Extend(headers.back().name, at, len);
  return 0;
}

int Parser::OnHeaderValue(llhttp_t* p, const char* at, size_t len) {
  Parser* self = Self(p);
  if (self->head_complete_) return self->SkipTrailer(len);
  if (static_cast<size_t>(at + len - self->base_) > self->limits_.max_head_bytes) {
    return self->Fail(431, "header block larger than the limit");
  }

  self->in_value_ = true;
  if (self->head_.headers.empty()) return 0;
  self->Extend(self->head_.headers.back().value, at, len);
  return 0;
}

namespace {
// RFC 9110 token characters, the only ones allowed in a header name.
bool IsTokenChar(unsigned char c) {
  static const bool* table = [] {
    static bool t[256] = {};
    for (int c = '0'; c <= '9'; ++c) t[c] = true;
    for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
    for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
    return t;
  }();
  return table[c];
}
}  // namespace

int Parser::OnHeadersComplete(llhttp_t* p) {
  Parser* self = Self(p);
  MessageHead& h = self->head_;
  // llhttp accepts obs-fold continuation lines (a line break followed by a space or tab) and
  // joins them into the value. RFC 9112 5.2 lets a server reject them; a proxy must not pass
  // them on. The whole head lies between base_ and the end of the last header value.
  if (!h.headers.empty()) {
    const HeaderSlice& last = h.headers.back();
    std::string_view block(self->base_, last.value.offset + last.value.length + 2);
    for (size_t i = block.find('\n'); i != std::string_view::npos && i + 1 < block.size();
         i = block.find('\n', i + 1)) {
      if (block[i + 1] == ' ' || block[i + 1] == '\t') {
        return self->Fail(400, "obsolete line folding");
      }
    }
  }
  for (const HeaderSlice& hs : h.headers) {
    std::string_view name = hs.name.in(self->base_);
    if (name.empty()) return self->Fail(400, "empty header name");
    for (char c : name) {
      if (!IsTokenChar(static_cast<unsigned char>(c))) {
        return self->Fail(400, "invalid character in a header name");
      }
    }
    // llhttp accepts obs-fold continuation lines, and the value's slice then spans the line
    // break. RFC 9112 5.2 lets a server reject them; a proxy must not pass them on.
    std::string_view value = hs.value.in(self->base_);
    if (value.find_first_of("\r\n") != std::string_view::npos) {
      return self->Fail(400, "obsolete line folding");
    }
  }
  h.method = p->method;
  h.status = p->status_code;
  h.http_major = p->http_major;
  h.http_minor = p->http_minor;
  h.keep_alive = llhttp_should_keep_alive(p) != 0;
  h.chunked = (p->flags & F_CHUNKED) != 0;
  h.content_length = (p->flags & F_CONTENT_LENGTH) ? static_cast<int64_t>(p->content_length) : -1;
  h.upgrade = p->upgrade != 0;
  h.has_body = h.chunked || h.content_length > 0;
  self->head_complete_ = true;
  if (self->kind_ == Kind::kResponse) {
    bool informational = h.status >= 100 && h.status < 200 && h.status != 101;
    if (self->no_body_ || h.status == 204 || h.status == 304 || informational) {
      h.has_body = false;
      return 1;  // no body: the message completes now, and pauses there
    }
    if (!h.chunked && h.content_length < 0 && !h.upgrade) h.has_body = true;  // until close
  }
  // Without a body the message completes right away; Feed() reports the head first and the
  // completion next. With one, pause here so the caller can act on the head before the body.
  return h.has_body ? HPE_PAUSED : 0;
}

int Parser::OnBody(llhttp_t* p, const char* at, size_t len) {
  Self(p)->body_.push_back(BodyPiece{at, len});
  return 0;
}

int Parser::OnMessageComplete(llhttp_t* p) {
  Self(p)->message_complete_ = true;
  return HPE_PAUSED;
}

}  // namespace canaryd::http

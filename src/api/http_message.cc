#include "api/http_message.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <climits>

namespace canaryd::api {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string MediaType(std::string_view content_type) {
  std::string_view t = content_type.substr(0, content_type.find(';'));
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  std::string out(t);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = HexValue(s[i + 1]);
      int lo = HexValue(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string PercentEncode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

const std::string* HttpRequest::Header(std::string_view name) const {
  for (const HttpHeader& h : headers) {
    if (EqualsIgnoreCase(h.name, name)) return &h.value;
  }
  return nullptr;
}

std::optional<std::string> HttpRequest::Query(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::string HttpRequest::QueryOr(std::string_view name, std::string_view fallback) const {
  std::optional<std::string> v = Query(name);
  return v ? *v : std::string(fallback);
}

bool HttpRequest::SetTarget(std::string_view t) {
  if (t.empty() || t[0] != '/') return false;
  target = std::string(t);
  std::string_view p = t;
  std::string_view q;
  if (size_t pos = t.find('?'); pos != std::string_view::npos) {
    p = t.substr(0, pos);
    q = t.substr(pos + 1);
  }
  if (size_t hash = q.find('#'); hash != std::string_view::npos) q = q.substr(0, hash);
  std::optional<std::string> decoded = PercentDecode(p, false);
  if (!decoded) return false;
  path = std::move(*decoded);
  raw_query = std::string(q);
  query.clear();
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view part = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::optional<std::string> key = PercentDecode(part.substr(0, eq), true);
    std::optional<std::string> value =
        eq == std::string_view::npos ? std::string() : PercentDecode(part.substr(eq + 1), true);
    if (!key || !value) return false;
    query.emplace_back(std::move(*key), std::move(*value));
  }
  return true;
}

HttpResponse& HttpResponse::SetHeader(std::string name, std::string value) {
  for (HttpHeader& h : headers) {
    if (EqualsIgnoreCase(h.name, name)) {
      h.value = std::move(value);
      return *this;
    }
  }
  headers.push_back({std::move(name), std::move(value)});
  return *this;
}

const std::string* HttpResponse::Header(std::string_view name) const {
  for (const HttpHeader& h : headers) {
    if (EqualsIgnoreCase(h.name, name)) return &h.value;
  }
  return nullptr;
}

HttpResponse HttpResponse::Text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.SetHeader("Content-Type", "text/plain; charset=utf-8");
  return r;
}

HttpResponse HttpResponse::Json(int status, std::string body, std::string content_type) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.SetHeader("Content-Type", std::move(content_type));
  return r;
}

ResponseStream::ResponseStream(size_t max_buffered)
    : max_buffered_(max_buffered), wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

ResponseStream::~ResponseStream() {
  if (wake_fd_ >= 0) close(wake_fd_);
}

void ResponseStream::Wake() {
  uint64_t one = 1;
  ssize_t n = write(wake_fd_, &one, sizeof one);
  (void)n;  // EAGAIN means it is already readable, which is all we need
}

void ResponseStream::ClearWake() {
  uint64_t v;
  ssize_t n = read(wake_fd_, &v, sizeof v);
  (void)n;
}

bool ResponseStream::Send(std::string data) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (ended_ || closing_) return false;
    buffered_ += data.size();
    if (buffered_ > max_buffered_) {
      // The client is not reading: stop rather than grow without bound.
      queue_.clear();
      closing_ = true;
      ended_ = true;
    } else {
      queue_.push_back(std::move(data));
    }
  }
  Wake();
  return true;
}

void ResponseStream::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  Wake();
}

bool ResponseStream::ended() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ended_ || closing_;
}

void ResponseStream::OnEnd(std::function<void()> f) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!ended_) {
      on_end_.push_back(std::move(f));
      return;
    }
  }
  f();
}

bool ResponseStream::Drain(std::vector<std::string>& out) {
  std::lock_guard<std::mutex> lock(mu_);
  while (!queue_.empty()) {
    out.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  buffered_ = 0;
  return closing_;
}

namespace {
int64_t SteadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

void ResponseStream::CloseAfter(int64_t ms) {
  std::lock_guard<std::mutex> lock(mu_);
  deadline_ms_ = SteadyMillis() + std::max<int64_t>(0, ms);
}

int64_t ResponseStream::MillisUntilDeadline() {
  std::lock_guard<std::mutex> lock(mu_);
  if (deadline_ms_ == 0) return INT64_MAX;
  int64_t left = deadline_ms_ - SteadyMillis();
  if (left <= 0) closing_ = true;
  return std::max<int64_t>(0, left);
}

void ResponseStream::End() {
  std::vector<std::function<void()>> callbacks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ended_ = true;
    queue_.clear();
    callbacks.swap(on_end_);
  }
  for (auto& f : callbacks) f();
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 421:
      return "Misdirected Request";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

}  // namespace canaryd::api

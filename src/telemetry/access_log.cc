#include "telemetry/access_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <memory>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "telemetry/request_metrics.h"

namespace canaryd::telemetry {
namespace {

// Lines are written through a raw cursor into space reserved up front (an upper bound of the
// line's length), which is several times faster than appending piece by piece.
// 1 for the bytes a JSON string must escape: control characters, quote, backslash.
constexpr std::array<unsigned char, 256> kJsonSpecial = [] {
  std::array<unsigned char, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = 1;
  t['"'] = 1;
  t['\\'] = 1;
  return t;
}();

// Whether v holds a byte a JSON string must escape. SSE2 (every x86-64) checks 16 bytes at a
// time; GCC's own vectorization of the table lookup was a third of the formatter's time.
bool NeedsJsonEscape(std::string_view v) {
  const char* p = v.data();
  size_t n = v.size();
  size_t i = 0;
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i last_control = _mm_set1_epi8(0x1f);
  for (; i + 16 <= n; i += 16) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(x, last_control), x);  // x <= 0x1f, unsigned
    __m128i hit =
        _mm_or_si128(control, _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)));
    if (_mm_movemask_epi8(hit) != 0) return true;
  }
#endif
  for (; i < n; ++i) {
    if (kJsonSpecial[static_cast<unsigned char>(p[i])]) return true;
  }
  return false;
}

class Cursor {
 public:
  explicit Cursor(char* p) : p_(p) {}
  char* end() const { return p_; }

  void Put(char c) { *p_++ = c; }
  template <size_t N>
  void Put(const char (&literal)[N]) {
    memcpy(p_, literal, N - 1);
    p_ += N - 1;
  }
  void Put(std::string_view v) {
    if (v.empty()) return;  // an empty view may have no data pointer, which memcpy must not get
    memcpy(p_, v.data(), v.size());
    p_ += v.size();
  }
  void PutOrDash(std::string_view v) {
    if (v.empty()) {
      Put('-');
    } else {
      Put(v);
    }
  }
  void PutQuoted(std::string_view v) {
    Put('"');
    PutOrDash(v);
    Put('"');
  }
  void PutInt(int64_t v) { p_ = std::to_chars(p_, p_ + 24, v).ptr; }

  // ISO 8601 with milliseconds. The date and time of day are formatted once per second per
  // thread.
  void PutTime(int64_t wall_micros) {
    thread_local int64_t cached_second = -1;
    thread_local char cached[24];
    thread_local size_t cached_len = 0;
    int64_t second = wall_micros / 1'000'000;
    if (second != cached_second) {
      time_t secs = static_cast<time_t>(second);
      struct tm tm;
      gmtime_r(&secs, &tm);
      cached_len = strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%S", &tm);
      cached_second = second;
    }
    Put(std::string_view(cached, cached_len));
    int ms = static_cast<int>((wall_micros / 1000) % 1000);
    p_[0] = '.';
    p_[1] = static_cast<char>('0' + ms / 100);
    p_[2] = static_cast<char>('0' + ms / 10 % 10);
    p_[3] = static_cast<char>('0' + ms % 10);
    p_[4] = 'Z';
    p_ += 5;
  }

  // x-forwarded-for as the gateway sent it upstream, quoted: what it received, then the client.
  void PutForwardedFor(std::string_view received, std::string_view client, bool json) {
    Put('"');
    if (received.empty() && client.empty()) {
      if (!json) Put('-');
    } else {
      auto put = [&](std::string_view v) { json ? PutJsonChars(v) : Put(v); };
      put(received);
      if (!received.empty() && !client.empty()) Put(", ");
      put(client);
    }
    Put('"');
  }

  // A JSON string (RFC 8259): quote, backslash and control characters escaped; at most six
  // output bytes per input byte.
  void PutJsonString(std::string_view v) {
    Put('"');
    PutJsonChars(v);
    Put('"');
  }

  // The inside of a JSON string.
  void PutJsonChars(std::string_view v) {
    static constexpr char kHex[] = "0123456789abcdef";
    // Almost every value needs no escaping: copy it whole when a quick scan finds nothing.
    if (!NeedsJsonEscape(v)) {
      Put(v);
      return;
    }
    for (char ch : v) {
      unsigned char c = static_cast<unsigned char>(ch);
      if (c >= 0x20 && c != '"' && c != '\\') [[likely]] {
        *p_++ = ch;
        continue;
      }
      *p_++ = '\\';
      switch (c) {
        case '"':
          *p_++ = '"';
          break;
        case '\\':
          *p_++ = '\\';
          break;
        case '\n':
          *p_++ = 'n';
          break;
        case '\r':
          *p_++ = 'r';
          break;
        case '\t':
          *p_++ = 't';
          break;
        default:
          Put("u00");
          *p_++ = kHex[c >> 4];
          *p_++ = kHex[c & 0xf];
      }
    }
  }

 private:
  char* p_;
};

}  // namespace

void FormatAccessLog(const proxy::RequestInfo& info, AccessLogFormat format, std::string& out) {
  char flags_buf[64];
  std::string_view flags = proxy::ResponseFlagsString(info.flags, flags_buf);
  int64_t duration_ms = (info.end_nanos - info.start_nanos) / 1'000'000;
  int64_t upstream_ms = info.response_start_nanos > 0 && info.upstream_start_nanos > 0
                            ? (info.response_start_nanos - info.upstream_start_nanos) / 1'000'000
                            : -1;
  std::string_view upstream_host =
      info.endpoint ? std::string_view(info.endpoint->address_text) : "";
  std::string_view cluster = info.cluster ? std::string_view(info.cluster->name) : "";
  std::string_view route = info.route ? std::string_view(info.route->name) : "";
  std::string_view service = info.cluster ? std::string_view(info.cluster->service_fqdn) : "";
  std::string_view version = info.endpoint ? std::string_view(info.endpoint->version) : "";

  size_t strings = info.method.size() + info.path.size() + info.protocol.size() + flags.size() +
                   info.forwarded_for.size() + info.client_address.size() + info.user_agent.size() +
                   info.request_id.size() + info.authority.size() + upstream_host.size() +
                   cluster.size() + route.size() + info.downstream_address.size() + service.size() +
                   version.size();
  // Fixed text (", " in x-forwarded-for included) and five integers fit in 512 bytes; JSON escaping
  // at most sextuples a string.
  size_t bound = 512 + (format == AccessLogFormat::kJson ? 6 : 1) * strings;
  // Formatted into uninitialized memory and appended once: resizing `out` by the bound would
  // zero two kilobytes for every line.
  char local[4096];
  std::unique_ptr<char[]> heap;
  char* line = local;
  if (bound > sizeof local) {
    heap.reset(new char[bound]);
    line = heap.get();
  }
  Cursor c(line);

  if (format == AccessLogFormat::kJson) {
    c.Put("{\"start_time\":\"");
    c.PutTime(info.start_wall_micros);
    c.Put("\",\"method\":");
    c.PutJsonString(info.method);
    c.Put(",\"path\":");
    c.PutJsonString(info.path);
    c.Put(",\"protocol\":");
    c.PutJsonString(info.protocol);
    c.Put(",\"response_code\":");
    c.PutInt(info.status);
    c.Put(",\"response_flags\":");
    c.PutJsonString(flags);
    c.Put(",\"bytes_received\":");
    c.PutInt(static_cast<int64_t>(info.bytes_received));
    c.Put(",\"bytes_sent\":");
    c.PutInt(static_cast<int64_t>(info.bytes_sent));
    c.Put(",\"duration\":");
    c.PutInt(duration_ms);
    c.Put(",\"upstream_service_time\":");
    if (upstream_ms >= 0) {
      c.PutInt(upstream_ms);
    } else {
      c.Put("null");
    }
    c.Put(",\"x_forwarded_for\":");
    c.PutForwardedFor(info.forwarded_for, info.client_address, true);
    c.Put(",\"user_agent\":");
    c.PutJsonString(info.user_agent);
    c.Put(",\"request_id\":");
    c.PutJsonString(info.request_id);
    c.Put(",\"authority\":");
    c.PutJsonString(info.authority);
    c.Put(",\"upstream_host\":");
    c.PutJsonString(upstream_host);
    c.Put(",\"upstream_cluster\":");
    c.PutJsonString(cluster);
    c.Put(",\"route_name\":");
    c.PutJsonString(route);
    c.Put(",\"downstream_remote_address\":");
    c.PutJsonString(info.downstream_address);
    c.Put(",\"destination_service\":");
    c.PutJsonString(service);
    c.Put(",\"destination_version\":");
    c.PutJsonString(version);
    c.Put("}\n");
  } else {
    c.Put('[');
    c.PutTime(info.start_wall_micros);
    c.Put("] \"");
    c.PutOrDash(info.method);
    c.Put(' ');
    c.PutOrDash(info.path);
    c.Put(' ');
    c.PutOrDash(info.protocol);
    c.Put("\" ");
    c.PutInt(info.status);
    c.Put(' ');
    c.Put(flags);
    c.Put(" - - \"-\" ");
    c.PutInt(static_cast<int64_t>(info.bytes_received));
    c.Put(' ');
    c.PutInt(static_cast<int64_t>(info.bytes_sent));
    c.Put(' ');
    c.PutInt(duration_ms);
    c.Put(' ');
    if (upstream_ms >= 0) {
      c.PutInt(upstream_ms);
    } else {
      c.Put('-');
    }
    c.Put(' ');
    c.PutForwardedFor(info.forwarded_for, info.client_address, false);
    c.Put(' ');
    c.PutQuoted(info.user_agent);
    c.Put(' ');
    c.PutQuoted(info.request_id);
    c.Put(' ');
    c.PutQuoted(info.authority);
    c.Put(' ');
    c.PutQuoted(upstream_host);
    c.Put(' ');
    c.PutOrDash(cluster);
    c.Put(" - - ");
    c.PutOrDash(info.downstream_address);
    c.Put(" - ");
    c.PutOrDash(route);
    c.Put(' ');
    c.PutQuoted(service);
    c.Put(' ');
    c.PutQuoted(version);
    c.Put('\n');
  }
  out.append(line, static_cast<size_t>(c.end() - line));
}

Result<std::unique_ptr<AccessLogWriter>> AccessLogWriter::Open(const std::string& path,
                                                               size_t max_queued_bytes) {
  if (path == "-") {
    return std::unique_ptr<AccessLogWriter>(new AccessLogWriter(1, false, max_queued_bytes));
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("access log " + path + ": " + strerror(errno));
  return std::unique_ptr<AccessLogWriter>(new AccessLogWriter(fd, true, max_queued_bytes));
}

std::unique_ptr<AccessLogWriter> AccessLogWriter::ForFd(int fd, size_t max_queued_bytes) {
  return std::unique_ptr<AccessLogWriter>(new AccessLogWriter(fd, false, max_queued_bytes));
}

AccessLogWriter::AccessLogWriter(int fd, bool owns_fd, size_t max_queued_bytes)
    : fd_(fd), owns_fd_(owns_fd), max_queued_bytes_(max_queued_bytes) {
  thread_ = std::thread([this] { Run(); });
}

AccessLogWriter::~AccessLogWriter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  thread_.join();
  if (owns_fd_) ::close(fd_);
}

bool AccessLogWriter::Submit(std::string& batch, uint64_t lines) {
  std::unique_lock<std::mutex> lock(mu_, std::try_to_lock);
  if (!lock.owns_lock()) return false;
  if (queued_bytes_ + batch.size() > max_queued_bytes_) {
    lock.unlock();
    CountDropped(lines);
    batch.clear();
    return true;
  }
  queued_bytes_ += batch.size();
  queue_.emplace_back(std::move(batch), lines);
  // Hand back a written buffer, so that the worker does not grow a new one from nothing.
  if (!spare_.empty()) {
    batch = std::move(spare_.back());
    spare_.pop_back();
  }
  batch.clear();
  // The writer wakes by itself every kWritePeriod. Waking it per batch cost more than
  // formatting the lines (a futex call and a context switch each time, and on one core every
  // switch is the worker's time); only a queue filling up is worth a wake-up.
  if (queued_bytes_ >= max_queued_bytes_ / 4) cv_.notify_one();
  return true;
}

void AccessLogWriter::Run() {
  std::deque<std::pair<std::string, uint64_t>> batches;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, kWritePeriod,
                   [&] { return stop_ || queued_bytes_ >= max_queued_bytes_ / 4; });
      // Everything queued goes in one pass: one lock, one wake-up.
      batches.swap(queue_);
      queued_bytes_ = 0;
      if (batches.empty() && stop_) return;  // stopping, and everything is written
    }
    uint64_t lines = 0;
    for (auto& [text, n] : batches) {
      const char* p = text.data();
      size_t left = text.size();
      while (left > 0) {
        ssize_t w = ::write(fd_, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        p += w;
        left -= static_cast<size_t>(w);
      }
      // A batch the file refused (disk full, a closed pipe) is lost: count it as dropped.
      if (left == 0) {
        lines += n;
      } else {
        CountDropped(n);
      }
    }
    written_.fetch_add(lines, std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [text, n] : batches) {
      if (spare_.size() >= kMaxSpareBuffers) break;
      text.clear();
      spare_.push_back(std::move(text));
    }
    batches.clear();
  }
}

}  // namespace canaryd::telemetry

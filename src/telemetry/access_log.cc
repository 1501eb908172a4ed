#include "telemetry/access_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
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
// 1 for the bytes a JSON string must escape (control characters, quote, backslash) and for
// the bytes that must be checked (non-ASCII: a line must be valid UTF-8 to be JSON).
constexpr std::array<unsigned char, 256> kJsonSpecial = [] {
  std::array<unsigned char, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = 1;
  for (int c = 0x80; c < 0x100; ++c) t[c] = 1;
  t['"'] = 1;
  t['\\'] = 1;
  return t;
}();

// The length of the well-formed UTF-8 sequence (RFC 3629) at p, which starts with a byte of
// 0x80 or more, or 0 when it is not one: a stray continuation byte, an overlong form, a
// surrogate, a code point above U+10FFFF, or a sequence cut short.
size_t Utf8SequenceLength(const unsigned char* p, size_t left) {
  unsigned char c = p[0];
  size_t n = c >= 0xc2 && c <= 0xdf   ? 2
             : c >= 0xe0 && c <= 0xef ? 3
             : c >= 0xf0 && c <= 0xf4 ? 4
                                      : 0;
  if (n == 0 || left < n) return 0;
  unsigned char lo = 0x80, hi = 0xbf;  // the allowed range of the second byte
  if (c == 0xe0) lo = 0xa0;
  if (c == 0xed) hi = 0x9f;
  if (c == 0xf0) lo = 0x90;
  if (c == 0xf4) hi = 0x8f;
  if (p[1] < lo || p[1] > hi) return 0;
  for (size_t i = 2; i < n; ++i) {
    if (p[i] < 0x80 || p[i] > 0xbf) return 0;
  }
  return n;
}

// Whether v holds a byte a JSON string must escape or check. SSE2 (every x86-64) checks 16
// bytes at a time; GCC's own vectorization of the table lookup was a third of the formatter's
// time.
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
    if (_mm_movemask_epi8(_mm_or_si128(hit, x)) != 0) return true;  // x's top bit: non-ASCII
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
  // JSON escapes its texts unless they are known `clean`; text copies them as they are.
  void PutForwardedFor(std::string_view received, std::string_view client, bool json,
                       bool clean = false) {
    Put('"');
    if (received.empty() && client.empty()) {
      if (!json) Put('-');
    } else {
      auto put = [&](std::string_view v) { json && !clean ? PutJsonChars(v) : Put(v); };
      put(received);
      if (!received.empty() && !client.empty()) Put(", ");
      put(client);
    }
    Put('"');
  }

  // A JSON string (RFC 8259): quote, backslash and control characters escaped; at most six
  // output bytes per input byte. Bytes that are not well-formed UTF-8 (a header is any bytes a
  // client sent) are escaped one by one as \u00XX, the code point of the same value: the line
  // stays valid JSON and the byte values can be told. `clean`: v is known to need no escaping.
  void PutJsonString(std::string_view v, bool clean = false) {
    Put('"');
    if (clean) {
      Put(v);
    } else {
      PutJsonChars(v);
    }
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
    const unsigned char* bytes = reinterpret_cast<const unsigned char*>(v.data());
    for (size_t i = 0; i < v.size(); ++i) {
      unsigned char c = bytes[i];
      if (c >= 0x80) {
        if (size_t n = Utf8SequenceLength(bytes + i, v.size() - i); n > 0) {
          Put(v.substr(i, n));
          i += n - 1;
          continue;
        }
      } else if (c >= 0x20 && c != '"' && c != '\\') [[likely]] {
        *p_++ = static_cast<char>(c);
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

// n bytes of uninitialized memory: on the stack when they fit in N, else on the heap.
template <size_t N>
class Scratch {
 public:
  explicit Scratch(size_t n) {
    if (n > N) {
      heap_.reset(new char[n]);
      data_ = heap_.get();
    }
  }
  Scratch(const Scratch&) = delete;  // data_ may point into this object itself
  Scratch& operator=(const Scratch&) = delete;
  char* data() { return data_; }

 private:
  char local_[N];
  std::unique_ptr<char[]> heap_;
  char* data_ = local_;
};

// What one access-log line says, as views and numbers: taken from a RequestInfo, or read back
// from a record a worker stored.
struct LogFields {
  enum Text {
    kMethod,
    kPath,
    kProtocol,
    kForwardedFor,
    kClient,
    kUserAgent,
    kRequestId,
    kAuthority,
    kUpstreamHost,
    kCluster,
    kRoute,
    kDownstream,
    kService,
    kVersion,
    kTextCount
  };
  struct Numbers {
    int64_t start_wall_micros;
    int64_t duration_ms;
    int64_t upstream_ms;  // -1: no upstream response
    uint64_t bytes_received;
    uint64_t bytes_sent;
    int32_t status;
    uint32_t flags;
    uint32_t attempts;
  } num;
  std::string_view text[kTextCount];
  // Known to hold no byte JSON must escape (checked for a whole record at once): strings are
  // then copied without a scan each.
  bool texts_clean = false;
};

LogFields FieldsOf(const proxy::RequestInfo& info) {
  LogFields f;
  f.num.start_wall_micros = info.start_wall_micros;
  f.num.duration_ms = (info.end_nanos - info.start_nanos) / 1'000'000;
  f.num.upstream_ms = info.response_start_nanos > 0 && info.upstream_start_nanos > 0
                          ? (info.response_start_nanos - info.upstream_start_nanos) / 1'000'000
                          : -1;
  f.num.bytes_received = info.bytes_received;
  f.num.bytes_sent = info.bytes_sent;
  f.num.status = info.status;
  f.num.flags = info.flags;
  f.num.attempts = info.attempts;
  f.text[LogFields::kMethod] = info.method;
  f.text[LogFields::kPath] = info.path;
  f.text[LogFields::kProtocol] = info.protocol;
  f.text[LogFields::kForwardedFor] = info.forwarded_for;
  f.text[LogFields::kClient] = info.client_address;
  f.text[LogFields::kUserAgent] = info.user_agent;
  f.text[LogFields::kRequestId] = info.request_id;
  f.text[LogFields::kAuthority] = info.authority;
  f.text[LogFields::kUpstreamHost] =
      info.endpoint ? std::string_view(info.endpoint->address_text) : "";
  f.text[LogFields::kCluster] = info.cluster ? std::string_view(info.cluster->name) : "";
  f.text[LogFields::kRoute] = info.route ? std::string_view(info.route->name) : "";
  f.text[LogFields::kDownstream] = info.downstream_address;
  f.text[LogFields::kService] = info.cluster ? std::string_view(info.cluster->service_fqdn) : "";
  f.text[LogFields::kVersion] = info.endpoint ? std::string_view(info.endpoint->version) : "";
  return f;
}

// A record: this header (copied, so unaligned), then the texts' bytes one after another.
struct RecordHeader {
  LogFields::Numbers num;
  uint32_t size[LogFields::kTextCount];
};

void FormatFields(const LogFields& f, AccessLogFormat format, std::string& out) {
  using F = LogFields;
  char flags_buf[64];
  std::string_view flags = proxy::ResponseFlagsString(f.num.flags, flags_buf);
  size_t strings = flags.size();
  for (std::string_view t : f.text) strings += t.size();
  // Fixed text (", " in x-forwarded-for included) and five integers fit in 512 bytes; JSON
  // escaping at most sextuples a string.
  size_t bound = 512 + (format == AccessLogFormat::kJson ? 6 : 1) * strings;
  // Formatted into uninitialized memory and appended once: resizing `out` by the bound would
  // zero two kilobytes for every line.
  Scratch<4096> scratch(bound);
  char* line = scratch.data();
  Cursor c(line);

  if (format == AccessLogFormat::kJson) {
    const bool clean = f.texts_clean;
    c.Put("{\"start_time\":\"");
    c.PutTime(f.num.start_wall_micros);
    c.Put("\",\"method\":");
    c.PutJsonString(f.text[F::kMethod], clean);
    c.Put(",\"path\":");
    c.PutJsonString(f.text[F::kPath], clean);
    c.Put(",\"protocol\":");
    c.PutJsonString(f.text[F::kProtocol], clean);
    c.Put(",\"response_code\":");
    c.PutInt(f.num.status);
    c.Put(",\"response_flags\":");
    c.PutJsonString(flags, true);
    c.Put(",\"bytes_received\":");
    c.PutInt(static_cast<int64_t>(f.num.bytes_received));
    c.Put(",\"bytes_sent\":");
    c.PutInt(static_cast<int64_t>(f.num.bytes_sent));
    c.Put(",\"duration\":");
    c.PutInt(f.num.duration_ms);
    c.Put(",\"upstream_service_time\":");
    if (f.num.upstream_ms >= 0) {
      c.PutInt(f.num.upstream_ms);
    } else {
      c.Put("null");
    }
    c.Put(",\"x_forwarded_for\":");
    c.PutForwardedFor(f.text[F::kForwardedFor], f.text[F::kClient], true, clean);
    c.Put(",\"user_agent\":");
    c.PutJsonString(f.text[F::kUserAgent], clean);
    c.Put(",\"request_id\":");
    c.PutJsonString(f.text[F::kRequestId], clean);
    c.Put(",\"authority\":");
    c.PutJsonString(f.text[F::kAuthority], clean);
    c.Put(",\"upstream_host\":");
    c.PutJsonString(f.text[F::kUpstreamHost], clean);
    c.Put(",\"upstream_cluster\":");
    c.PutJsonString(f.text[F::kCluster], clean);
    c.Put(",\"upstream_request_attempt_count\":");
    c.PutInt(f.num.attempts);
    c.Put(",\"route_name\":");
    c.PutJsonString(f.text[F::kRoute], clean);
    c.Put(",\"downstream_remote_address\":");
    c.PutJsonString(f.text[F::kDownstream], clean);
    c.Put(",\"destination_service\":");
    c.PutJsonString(f.text[F::kService], clean);
    c.Put(",\"destination_version\":");
    c.PutJsonString(f.text[F::kVersion], clean);
    c.Put("}\n");
  } else {
    c.Put('[');
    c.PutTime(f.num.start_wall_micros);
    c.Put("] \"");
    c.PutOrDash(f.text[F::kMethod]);
    c.Put(' ');
    c.PutOrDash(f.text[F::kPath]);
    c.Put(' ');
    c.PutOrDash(f.text[F::kProtocol]);
    c.Put("\" ");
    c.PutInt(f.num.status);
    c.Put(' ');
    c.Put(flags);
    c.Put(" - - \"-\" ");
    c.PutInt(static_cast<int64_t>(f.num.bytes_received));
    c.Put(' ');
    c.PutInt(static_cast<int64_t>(f.num.bytes_sent));
    c.Put(' ');
    c.PutInt(f.num.duration_ms);
    c.Put(' ');
    if (f.num.upstream_ms >= 0) {
      c.PutInt(f.num.upstream_ms);
    } else {
      c.Put('-');
    }
    c.Put(' ');
    c.PutForwardedFor(f.text[F::kForwardedFor], f.text[F::kClient], false);
    c.Put(' ');
    c.PutQuoted(f.text[F::kUserAgent]);
    c.Put(' ');
    c.PutQuoted(f.text[F::kRequestId]);
    c.Put(' ');
    c.PutQuoted(f.text[F::kAuthority]);
    c.Put(' ');
    c.PutQuoted(f.text[F::kUpstreamHost]);
    c.Put(' ');
    c.PutOrDash(f.text[F::kCluster]);
    c.Put(" - - ");
    c.PutOrDash(f.text[F::kDownstream]);
    c.Put(" - ");
    c.PutOrDash(f.text[F::kRoute]);
    c.Put(' ');
    c.PutQuoted(f.text[F::kService]);
    c.Put(' ');
    c.PutQuoted(f.text[F::kVersion]);
    c.Put('\n');
  }
  out.append(line, static_cast<size_t>(c.end() - line));
}

}  // namespace

void FormatAccessLog(const proxy::RequestInfo& info, AccessLogFormat format, std::string& out) {
  FormatFields(FieldsOf(info), format, out);
}

void AppendLogRecord(const proxy::RequestInfo& info, std::string& records) {
  LogFields f = FieldsOf(info);
  RecordHeader h;
  h.num = f.num;
  size_t total = sizeof h;
  for (int i = 0; i < LogFields::kTextCount; ++i) {
    h.size[i] = static_cast<uint32_t>(f.text[i].size());
    total += f.text[i].size();
  }
  // Put together in uninitialized memory and appended once, as lines are.
  Scratch<2048> scratch(total);
  char* p = scratch.data();
  memcpy(p, &h, sizeof h);
  size_t at = sizeof h;
  for (std::string_view t : f.text) {
    if (t.empty()) continue;
    memcpy(p + at, t.data(), t.size());
    at += t.size();
  }
  records.append(p, total);
}

size_t FormatLogRecords(std::string_view records, AccessLogFormat format, std::string& out) {
  size_t lines = 0;
  while (records.size() >= sizeof(RecordHeader)) {
    RecordHeader h;
    memcpy(&h, records.data(), sizeof h);
    records.remove_prefix(sizeof h);
    LogFields f;
    f.num = h.num;
    std::string_view texts = records;
    for (int i = 0; i < LogFields::kTextCount; ++i) {
      size_t n = std::min<size_t>(h.size[i], records.size());
      f.text[i] = records.substr(0, n);
      records.remove_prefix(n);
    }
    // The texts lie one after another: one scan of them all is cheaper than one per string,
    // each with its own short tail, and almost every record is clean.
    texts = texts.substr(0, texts.size() - records.size());
    f.texts_clean = format == AccessLogFormat::kJson && !NeedsJsonEscape(texts);
    FormatFields(f, format, out);
    ++lines;
  }
  return lines;
}

Result<std::unique_ptr<AccessLogWriter>> AccessLogWriter::Open(const std::string& path,
                                                               AccessLogFormat format,
                                                               size_t max_queued_bytes) {
  if (path == "-") {
    return std::unique_ptr<AccessLogWriter>(
        new AccessLogWriter(1, false, format, max_queued_bytes));
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("access log " + path + ": " + strerror(errno));
  return std::unique_ptr<AccessLogWriter>(new AccessLogWriter(fd, true, format, max_queued_bytes));
}

std::unique_ptr<AccessLogWriter> AccessLogWriter::ForFd(int fd, AccessLogFormat format,
                                                        size_t max_queued_bytes) {
  return std::unique_ptr<AccessLogWriter>(new AccessLogWriter(fd, false, format, max_queued_bytes));
}

AccessLogWriter::AccessLogWriter(int fd, bool owns_fd, AccessLogFormat format,
                                 size_t max_queued_bytes)
    : fd_(fd), owns_fd_(owns_fd), format_(format), max_queued_bytes_(max_queued_bytes) {
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

namespace {
// What one write() may take. Appending to a file, the kernel's cost per byte falls by a third
// from 110 KB writes (one batch's lines) to 0.5-2 MiB ones (0.14 -> 0.08 us a 600-byte line,
// ext4, in a loop), and a wake-up of the writer usually holds about a megabyte.
constexpr size_t kWriteBytes = 1 << 20;

// Writes all of `text` unless the descriptor refuses; returns how many bytes went out.
size_t WriteAll(int fd, std::string_view text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t w = ::write(fd, text.data() + done, text.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    done += static_cast<size_t>(w);
  }
  return done;
}
}  // namespace

void AccessLogWriter::Run() {
  std::deque<std::pair<std::string, uint64_t>> batches;
  std::string text;  // formatted lines of one or more batches, up to about kWriteBytes
  text.reserve(kWriteBytes + 256 * 1024);
  // Where each batch's lines end in `text`, and how many they are: when a write stops short,
  // the batches it finished count as written and the others as dropped.
  std::vector<std::pair<size_t, uint64_t>> ends;
  auto flush = [&] {
    size_t done = WriteAll(fd_, text);
    uint64_t written = 0, dropped = 0;
    for (const auto& [end, n] : ends) (end <= done ? written : dropped) += n;
    written_.fetch_add(written, std::memory_order_relaxed);
    if (dropped > 0) CountDropped(dropped);
    text.clear();
    ends.clear();
  };
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
    for (auto& [records, n] : batches) {
      FormatLogRecords(records, format_, text);
      ends.emplace_back(text.size(), n);
      if (text.size() >= kWriteBytes) flush();
    }
    if (!text.empty()) flush();
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [records, n] : batches) {
      if (spare_.size() >= kMaxSpareBuffers) break;
      records.clear();
      spare_.push_back(std::move(records));
    }
    batches.clear();
  }
}

}  // namespace canaryd::telemetry

#include "telemetry/access_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>

#include "telemetry/request_metrics.h"

namespace canaryd::telemetry {
namespace {

void AppendInt(std::string& out, int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

// ISO 8601 with milliseconds. The date and time of day are formatted once per second per thread.
void AppendTime(std::string& out, int64_t wall_micros) {
  thread_local int64_t cached_second = -1;
  thread_local char cached[24];
  int64_t second = wall_micros / 1'000'000;
  if (second != cached_second) {
    time_t secs = static_cast<time_t>(second);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%S", &tm);
    cached_second = second;
  }
  out += cached;
  int ms = static_cast<int>((wall_micros / 1000) % 1000);
  char frac[6] = {'.',
                  static_cast<char>('0' + ms / 100),
                  static_cast<char>('0' + ms / 10 % 10),
                  static_cast<char>('0' + ms % 10),
                  'Z',
                  0};
  out.append(frac, 5);
}

std::string_view OrDash(std::string_view v) {
  return v.empty() ? std::string_view("-") : v;
}

void Quoted(std::string& out, std::string_view v) {
  out += '"';
  out += OrDash(v);
  out += '"';
}

void JsonString(std::string& out, std::string_view v) {
  out += '"';
  bool plain = true;
  for (char c : v) plain &= c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20;
  if (plain) {
    out += v;
    out += '"';
    return;
  }
  for (char c : v) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

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
  if (format == AccessLogFormat::kJson) {
    out += "{\"start_time\":\"";
    AppendTime(out, info.start_wall_micros);
    out += "\",\"method\":";
    JsonString(out, info.method);
    out += ",\"path\":";
    JsonString(out, info.path);
    out += ",\"protocol\":";
    JsonString(out, info.protocol);
    out += ",\"response_code\":";
    AppendInt(out, info.status);
    out += ",\"response_flags\":";
    JsonString(out, flags);
    out += ",\"bytes_received\":";
    AppendInt(out, static_cast<int64_t>(info.bytes_received));
    out += ",\"bytes_sent\":";
    AppendInt(out, static_cast<int64_t>(info.bytes_sent));
    out += ",\"duration\":";
    AppendInt(out, duration_ms);
    out += ",\"upstream_service_time\":";
    if (upstream_ms >= 0) {
      AppendInt(out, upstream_ms);
    } else {
      out += "null";
    }
    out += ",\"x_forwarded_for\":";
    JsonString(out, info.forwarded_for);
    out += ",\"user_agent\":";
    JsonString(out, info.user_agent);
    out += ",\"request_id\":";
    JsonString(out, info.request_id);
    out += ",\"authority\":";
    JsonString(out, info.authority);
    out += ",\"upstream_host\":";
    JsonString(out, upstream_host);
    out += ",\"upstream_cluster\":";
    JsonString(out, cluster);
    out += ",\"route_name\":";
    JsonString(out, route);
    out += ",\"downstream_remote_address\":";
    JsonString(out, info.downstream_address);
    out += ",\"destination_service\":";
    JsonString(out, service);
    out += ",\"destination_version\":";
    JsonString(out, version);
    out += "}\n";
    return;
  }
  out += '[';
  AppendTime(out, info.start_wall_micros);
  out += "] \"";
  out += OrDash(info.method);
  out += ' ';
  out += OrDash(info.path);
  out += ' ';
  out += OrDash(info.protocol);
  out += "\" ";
  AppendInt(out, info.status);
  out += ' ';
  out += flags;
  out += " - - \"-\" ";
  AppendInt(out, static_cast<int64_t>(info.bytes_received));
  out += ' ';
  AppendInt(out, static_cast<int64_t>(info.bytes_sent));
  out += ' ';
  AppendInt(out, duration_ms);
  out += ' ';
  if (upstream_ms >= 0) {
    AppendInt(out, upstream_ms);
  } else {
    out += '-';
  }
  out += ' ';
  Quoted(out, info.forwarded_for);
  out += ' ';
  Quoted(out, info.user_agent);
  out += ' ';
  Quoted(out, info.request_id);
  out += ' ';
  Quoted(out, info.authority);
  out += ' ';
  Quoted(out, upstream_host);
  out += ' ';
  out += OrDash(cluster);
  out += " - - ";
  out += OrDash(info.downstream_address);
  out += " - ";
  out += OrDash(route);
  out += ' ';
  Quoted(out, service);
  out += ' ';
  Quoted(out, version);
  out += '\n';
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
  batch.clear();
  cv_.notify_one();
  return true;
}

void AccessLogWriter::Run() {
  while (true) {
    std::pair<std::string, uint64_t> item;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything is written
      item = std::move(queue_.front());
      queue_.pop_front();
      queued_bytes_ -= item.first.size();
    }
    const char* p = item.first.data();
    size_t left = item.first.size();
    while (left > 0) {
      ssize_t n = ::write(fd_, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      p += n;
      left -= static_cast<size_t>(n);
    }
    written_.fetch_add(item.second, std::memory_order_relaxed);
  }
}

}  // namespace canaryd::telemetry

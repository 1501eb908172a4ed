// Access log: one line per request, in Istio's default text format (Envoy's default plus
// Istio's fields, then the destination service and version) or as JSON, formatted and written
// by a background thread. Workers append records of their requests to their own buffer and
// hand batches over with a try-lock, without waking the writer (it drains the queue every
// kWritePeriod): a worker never blocks on the writer or the disk; when the writer falls behind,
// lines are dropped and counted. Submit() from workers, everything else from the owner.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "proxy/request_info.h"

namespace canaryd::telemetry {

enum class AccessLogFormat { kText, kJson };

// Appends the request's line to `out`.
void FormatAccessLog(const proxy::RequestInfo& info, AccessLogFormat format, std::string& out);

// Workers do not format lines: they append a record of the request (its fields, copied: about
// 60% of a JSON line's bytes) to a batch, and the writer thread formats whole batches. A line
// formatted in the running gateway, between system calls, took ~500 cycles (rdtsc around the
// call), four times what it takes in a loop (telemetry_bench); the worker now spends the copy.
void AppendLogRecord(const proxy::RequestInfo& info, std::string& records);
// Appends the lines of every record in `records` to `out`; returns how many.
size_t FormatLogRecords(std::string_view records, AccessLogFormat format, std::string& out);

class AccessLogWriter {
 public:
  // path "-" is standard output. max_queued_bytes bounds what waits for the writer (besides the
  // batches it is writing at that moment).
  static Result<std::unique_ptr<AccessLogWriter>> Open(const std::string& path,
                                                       AccessLogFormat format,
                                                       size_t max_queued_bytes = 16 << 20);
  // Writes to an open descriptor it does not own (tests: a pipe nobody reads).
  static std::unique_ptr<AccessLogWriter> ForFd(int fd, AccessLogFormat format,
                                                size_t max_queued_bytes);
  ~AccessLogWriter();

  // Hands a batch of records (AppendLogRecord) to the writer. Returns false, and takes nothing,
  // when the writer is busy this instant (try again later); drops the batch (and counts its lines)
  // when the queue is full.
  bool Submit(std::string& batch, uint64_t lines);
  void CountDropped(uint64_t lines) { dropped_.fetch_add(lines, std::memory_order_relaxed); }
  uint64_t dropped_lines() const { return dropped_.load(std::memory_order_relaxed); }
  uint64_t written_lines() const { return written_.load(std::memory_order_relaxed); }

 private:
  AccessLogWriter(int fd, bool owns_fd, AccessLogFormat format, size_t max_queued_bytes);
  void Run();

  int fd_;
  bool owns_fd_;
  AccessLogFormat format_;
  size_t max_queued_bytes_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<std::string, uint64_t>> queue_;
  // How often the writer looks for lines: workers hand batches over at least every 100 ms (their
  // tick), so a line reaches the file within about 150 ms.
  static constexpr std::chrono::milliseconds kWritePeriod{50};
  static constexpr size_t kMaxSpareBuffers = 32;  // 2 MiB at 64 KiB a batch
  std::vector<std::string> spare_;                // written batches, cleared, for reuse
  size_t queued_bytes_ = 0;
  bool stop_ = false;
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> written_{0};
  std::thread thread_;
};

}  // namespace canaryd::telemetry

// Access log: one line per request, in Istio's default text format (Envoy's default plus
// Istio's fields, then the destination service and version) or as JSON, written by a
// background thread. Workers format lines into their own buffer and hand batches over with a
// try-lock, without waking the writer (it drains the queue every kWritePeriod): a worker never
// blocks on the writer or the disk; when the writer falls behind, lines are dropped and counted.
// Submit() from workers, everything else from the owner.
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

void FormatAccessLog(const proxy::RequestInfo& info, AccessLogFormat format, std::string& out);

class AccessLogWriter {
 public:
  // path "-" is standard output. max_queued_bytes bounds what waits for the writer (besides the
  // batches it is writing at that moment).
  static Result<std::unique_ptr<AccessLogWriter>> Open(const std::string& path,
                                                       size_t max_queued_bytes = 16 << 20);
  // Writes to an open descriptor it does not own (tests: a pipe nobody reads).
  static std::unique_ptr<AccessLogWriter> ForFd(int fd, size_t max_queued_bytes);
  ~AccessLogWriter();

  // Hands a batch of whole lines to the writer. Returns false, and takes nothing, when the
  // writer is busy this instant (try again later); drops the batch (and counts its lines) when
  // the queue is full.
  bool Submit(std::string& batch, uint64_t lines);
  void CountDropped(uint64_t lines) { dropped_.fetch_add(lines, std::memory_order_relaxed); }
  uint64_t dropped_lines() const { return dropped_.load(std::memory_order_relaxed); }
  uint64_t written_lines() const { return written_.load(std::memory_order_relaxed); }

 private:
  AccessLogWriter(int fd, bool owns_fd, size_t max_queued_bytes);
  void Run();

  int fd_;
  bool owns_fd_;
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

// Test-only helpers for the store's tests: a temporary directory removed at the end of the test,
// and an event recorder for watches. Not thread-safe except EventLog, whose methods may be called
// from any thread.
#pragma once

#include <stdlib.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "store/store.h"

namespace canaryd::store::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "canaryd-store-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Empty if the directory could not be made.
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Collects the events a watch delivers.
class EventLog {
 public:
  WatchCallback Callback() {
    return [this](const WatchEvent& e) { Add(e); };
  }
  void Add(const WatchEvent& e) {
    {
      std::lock_guard lock(mu_);
      events_.push_back(e);
    }
    cv_.notify_all();
  }
  std::vector<WatchEvent> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }
  std::vector<int64_t> revisions() const {
    std::lock_guard lock(mu_);
    std::vector<int64_t> out;
    for (const WatchEvent& e : events_) out.push_back(e.revision);
    return out;
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return events_.size();
  }
  // Waits until at least `n` events arrived, at most `timeout`.
  bool WaitFor(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return events_.size() >= n; });
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<WatchEvent> events_;
};

}  // namespace canaryd::store::testing

#include "proxy/table_reaper.h"

namespace canaryd::proxy {

TableReaper::TableReaper() : thread_([this] { Run(); }) {}

TableReaper::~TableReaper() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void TableReaper::Retire(std::shared_ptr<const router::RouteTable> table) {
  if (!table) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(table));
  }
  cv_.notify_one();
}

void TableReaper::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    std::vector<std::shared_ptr<const router::RouteTable>> batch;
    batch.swap(queue_);
    bool stopping = stop_;
    lock.unlock();
    batch.clear();  // the frees happen here, outside the lock
    lock.lock();
    if (stopping && queue_.empty()) return;
  }
}

}  // namespace canaryd::proxy

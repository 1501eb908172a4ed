// TableReaper: frees retired route tables on a thread of its own. A table compiled from
// thousands of VirtualServices takes milliseconds to free; whichever thread drops the last
// reference pays that, and on a worker it would stall every connection the worker serves.
// Workers hand their last reference here instead. Retire() from any thread (a short lock, once
// per table change, never per request); construction and destruction from the owner.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "router/route_table.h"

namespace canaryd::proxy {

class TableReaper {
 public:
  TableReaper();
  ~TableReaper();  // frees whatever is still queued
  TableReaper(const TableReaper&) = delete;
  TableReaper& operator=(const TableReaper&) = delete;

  void Retire(std::shared_ptr<const router::RouteTable> table);
  std::thread::id thread_id() const { return thread_.get_id(); }

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<const router::RouteTable>> queue_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace canaryd::proxy

#include "proxy/gateway_server.h"

#include <condition_variable>
#include <mutex>

namespace canaryd::proxy {

GatewayServer::GatewayServer(ProxyOptions options, RequestObserver* observer)
    : options_(std::move(options)), observer_(observer) {}

GatewayServer::~GatewayServer() {
  Stop();
}

Status GatewayServer::Start() {
  int n = options_.workers < 1 ? 1 : options_.workers;
  for (int i = 0; i < n; ++i) workers_.push_back(std::make_unique<Worker>(i, options_, observer_));
  for (auto& w : workers_) threads_.emplace_back([worker = w.get()] { worker->Run(); });
  return Status::Ok();
}

void GatewayServer::Publish(std::shared_ptr<const router::RouteTable> table,
                            std::vector<uint32_t> ports) {
  for (auto& w : workers_) w->PostTable(table, ports);
}

void GatewayServer::Drain() {
  for (auto& w : workers_) w->PostDrain();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void GatewayServer::Stop() {
  for (auto& w : workers_) w->PostStop();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  workers_.clear();
}

std::vector<WorkerCounters> GatewayServer::ReadCounters() {
  std::vector<WorkerCounters> out(workers_.size());
  std::mutex mu;
  std::condition_variable cv;
  size_t done = 0;
  for (size_t i = 0; i < workers_.size(); ++i) {
    workers_[i]->PostReadCounters([&, i](const WorkerCounters& c) {
      std::lock_guard<std::mutex> lock(mu);
      out[i] = c;
      ++done;
      cv.notify_one();
    });
  }
  std::unique_lock<std::mutex> lock(mu);
  cv.wait_for(lock, std::chrono::seconds(2), [&] { return done == workers_.size(); });
  return out;
}

}  // namespace canaryd::proxy

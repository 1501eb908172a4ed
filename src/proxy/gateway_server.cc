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
  for (int i = 0; i < n; ++i)
    workers_.push_back(std::make_unique<Worker>(i, options_, observer_, &reaper_));
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

bool GatewayServer::RunOnEachWorker(std::function<void(int)> fn) {
  // Shared with the posted tasks, so that a task that runs after the wait gave up still finds
  // what it needs.
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    size_t done = 0;
    std::function<void(int)> fn;
  };
  auto st = std::make_shared<State>();
  st->fn = std::move(fn);
  for (size_t i = 0; i < workers_.size(); ++i) {
    workers_[i]->Post([st, i] {
      st->fn(static_cast<int>(i));
      std::lock_guard<std::mutex> lock(st->mu);
      ++st->done;
      st->cv.notify_one();
    });
  }
  std::unique_lock<std::mutex> lock(st->mu);
  return st->cv.wait_for(lock, std::chrono::seconds(2),
                         [&] { return st->done == workers_.size(); });
}

std::vector<WorkerCounters> GatewayServer::ReadCounters() {
  auto out = std::make_shared<std::vector<WorkerCounters>>(workers_.size());
  auto mu = std::make_shared<std::mutex>();
  RunOnEachWorker([this, out, mu](int i) {
    WorkerCounters c = workers_[i]->counters();
    c.loop_lag_nanos = workers_[i]->loop().last_lag_nanos();
    std::lock_guard<std::mutex> lock(*mu);
    (*out)[i] = c;
  });
  std::lock_guard<std::mutex> lock(*mu);
  return *out;
}

}  // namespace canaryd::proxy

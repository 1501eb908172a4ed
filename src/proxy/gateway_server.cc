#include "proxy/gateway_server.h"

#include <condition_variable>
#include <map>
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

std::vector<ListenerState> GatewayServer::Publish(std::shared_ptr<const router::RouteTable> table,
                                                  std::vector<uint32_t> ports) {
  std::vector<ListenerState> states;
  std::vector<uint32_t> to_bind;
  for (uint32_t port : ports) {
    ListenerState st;
    st.gateway_port = port;
    Result<event::SocketAddress> addr =
        event::SocketAddress::Parse(options_.listen_host, LocalPortFor(options_, port));
    st.address = addr.ok()
                     ? addr->ToString()
                     : options_.listen_host + ":" + std::to_string(LocalPortFor(options_, port));
    if (!addr.ok()) {
      st.error = addr.status().message();
    } else if (held_ports_.count(port) == 0) {
      if (Status probe = event::ProbeBind(*addr); !probe.ok()) st.error = probe.message();
    }
    if (st.error.empty()) to_bind.push_back(port);
    states.push_back(std::move(st));
  }
  for (auto& w : workers_) w->PostTable(table, to_bind);

  // Only when the ports change (rare) does the caller wait for the workers; a weight shift
  // does not.
  bool check =
      std::set<uint32_t>(to_bind.begin(), to_bind.end()) != held_ports_ || !partial_ports_.empty();
  if (check) {
    // Runs after the table on each worker's loop: what the workers did with the ports.
    auto errors = std::make_shared<std::vector<std::map<uint32_t, std::string>>>(workers_.size());
    auto mu = std::make_shared<std::mutex>();
    bool all = RunOnEachWorker([this, errors, mu](int i) {
      std::lock_guard<std::mutex> lock(*mu);
      (*errors)[i] = workers_[i]->listen_errors();
    });
    std::lock_guard<std::mutex> lock(*mu);
    held_ports_.clear();
    partial_ports_.clear();
    for (ListenerState& st : states) {
      if (!st.error.empty()) continue;
      size_t failed = 0;
      for (const auto& e : *errors) {
        if (auto it = e.find(st.gateway_port); it != e.end()) {
          ++failed;
          st.error = it->second;
        }
      }
      if (!all && st.error.empty()) st.error = "the workers did not answer in time";
      if (failed < workers_.size()) held_ports_.insert(st.gateway_port);
      if (failed > 0 && failed < workers_.size()) partial_ports_.insert(st.gateway_port);
    }
  }
  for (ListenerState& st : states) st.up = st.error.empty();
  std::lock_guard<std::mutex> lock(listeners_mu_);
  for (const ListenerState& st : states) bind_failures_ += st.up ? 0 : 1;
  listeners_ = states;
  return states;
}

std::vector<ListenerState> GatewayServer::listeners() const {
  std::lock_guard<std::mutex> lock(listeners_mu_);
  return listeners_;
}

uint64_t GatewayServer::bind_failures() const {
  std::lock_guard<std::mutex> lock(listeners_mu_);
  return bind_failures_;
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
    const upstream::LoadBalancer& lb = workers_[i]->lb();
    c.outlier_ejections_enforced = lb.outlier_counters().ejections_enforced;
    c.outlier_ejections_overflow = lb.outlier_counters().ejections_overflow;
    if (TableRef* ref = workers_[i]->current_table(); ref != nullptr && ref->table) {
      const int64_t now = workers_[i]->loop().now();
      const std::vector<router::Cluster>& clusters = ref->table->clusters();
      for (const upstream::LoadBalancer::Ejection& e : lb.Ejections(now)) {
        if (e.cluster >= clusters.size()) continue;
        const router::Cluster& cl = clusters[e.cluster];
        if (e.endpoint < 0 || static_cast<size_t>(e.endpoint) >= cl.endpoints.size()) continue;
        c.ejected.push_back(EjectedEndpoint{cl.name, cl.endpoints[e.endpoint].address_text,
                                            static_cast<double>(e.until_nanos - now) / 1e9,
                                            e.times});
      }
    }
    std::lock_guard<std::mutex> lock(*mu);
    (*out)[i] = c;
  });
  std::lock_guard<std::mutex> lock(*mu);
  return *out;
}

}  // namespace canaryd::proxy

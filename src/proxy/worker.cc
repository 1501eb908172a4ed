#include "proxy/worker.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "proxy/connections.h"
#include "proxy/shadow_request.h"
#include "proxy/upstream_connection.h"

namespace canaryd::proxy {

constexpr int64_t kTickNanos = 100'000'000;

class Worker::Listener final : public event::IoHandler {
 public:
  Listener(Worker* w, int fd, uint32_t gateway_port) : w_(w), fd_(fd), port_(gateway_port) {}
  ~Listener() override {
    w_->loop_.Remove(fd_);
    ::close(fd_);
  }
  void OnIo(uint32_t) override {
    // Bounded per wake-up so one busy listener cannot starve the connections.
    for (int i = 0; i < 64; ++i) {
      int fd = accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      w_->Accept(fd, port_);
    }
  }

 private:
  Worker* w_;
  int fd_;
  uint32_t port_;
};

Worker::Worker(int index, const ProxyOptions& options, RequestObserver* observer,
               TableReaper* reaper)
    : index_(index),
      options_(options),
      observer_(observer),
      reaper_(reaper),
      loop_(options.clock != nullptr ? *options.clock : SystemClock::Instance()),
      lb_(options.seed != 0 ? options.seed + static_cast<uint64_t>(index)
                            : static_cast<uint64_t>(SystemClock::Instance().WallNanos()) +
                                  static_cast<uint64_t>(index) * 7919),
      drain_timer_(&loop_, [this] { loop_.Stop(); }),
      tick_timer_(&loop_, [this] {
        if (observer_ != nullptr)
          observer_->OnTick(index_, loop_.now(), loop_.wall_micros() * 1000);
        tick_timer_.Arm(kTickNanos);
      }) {
  tick_timer_.Arm(kTickNanos);
  auto empty = std::make_unique<TableRef>();
  empty->table = std::make_shared<router::RouteTable>();
  empty->inflight = 1;  // the worker's own hold on its current table
  current_ = empty.get();
  tables_.push_back(std::move(empty));
}

Worker::~Worker() {
  listeners_.clear();
  shadows_.clear();  // before the connections they hold
  for (DownstreamConnection* c : connections_) delete c;
  for (UpstreamConnection* c : upstreams_) delete c;
}

void Worker::Run() {
  loop_.Run();
  if (observer_ != nullptr) observer_->OnTick(index_, loop_.now(), loop_.wall_micros() * 1000);
  // Whatever is left after a stop or the drain timeout is closed here.
  listeners_.clear();
}

void Worker::PostTable(std::shared_ptr<const router::RouteTable> table,
                       std::vector<uint32_t> ports) {
  loop_.Post([this, table = std::move(table), ports = std::move(ports)]() mutable {
    ApplyTable(std::move(table), ports);
  });
}

void Worker::PostDrain() {
  loop_.Post([this] {
    draining_ = true;
    listeners_.clear();
    std::vector<DownstreamConnection*> conns(connections_.begin(), connections_.end());
    for (DownstreamConnection* c : conns) c->StartDrain();
    drain_timer_.Arm(options_.drain_timeout_nanos);
    CheckDrained();
  });
}

void Worker::PostStop() {
  loop_.Stop();
}

void Worker::ApplyTable(std::shared_ptr<const router::RouteTable> table,
                        const std::vector<uint32_t>& ports) {
  auto ref = std::make_unique<TableRef>();
  ref->table = std::move(table);
  TableRef* old = current_;
  current_ = ref.get();
  tables_.push_back(std::move(ref));
  lb_.Reset(*current_->table);
  counters_.tables_applied++;
  // The pool counts start again with the new table: whoever waited goes now.
  std::unordered_map<uint32_t, std::deque<DownstreamConnection*>> waiting;
  waiting.swap(pending_);
  for (auto& [cluster, q] : waiting) {
    for (DownstreamConnection* c : q) {
      if (connections_.count(c) && c->PendingOn(cluster)) c->ResumeFromPending();
    }
  }
  Release(old == nullptr ? nullptr : old);  // drop the "current" hold on the old table
  ++current_->inflight;                     // ...and take it on the new one
  if (draining_) return;
  // Listeners: open the new ports, close the ones no Gateway uses any more.
  for (auto it = listeners_.begin(); it != listeners_.end();) {
    bool wanted = false;
    for (uint32_t p : ports) wanted |= p == it->first;
    it = wanted ? std::next(it) : listeners_.erase(it);
  }
  listen_errors_.clear();
  for (uint32_t port : ports) {
    if (listeners_.count(port)) continue;
    Result<event::SocketAddress> addr =
        event::SocketAddress::Parse(options_.listen_host, LocalPortFor(options_, port));
    if (!addr.ok()) {
      listen_errors_[port] = addr.status().message();
      continue;
    }
    Result<int> fd = event::Listen(*addr, /*reuse_port=*/true);
    if (!fd.ok()) {
      listen_errors_[port] = fd.status().message();
      continue;
    }
    auto listener = std::make_unique<Listener>(this, *fd, port);
    loop_.AddListener(*fd, listener.get());
    listeners_[port] = std::move(listener);
  }
}

void Worker::Release(TableRef* ref) {
  if (ref == nullptr) return;
  if (--ref->inflight > 0 || ref == current_) return;
  for (auto it = tables_.begin(); it != tables_.end(); ++it) {
    if (it->get() == ref) {
      if (reaper_ != nullptr) reaper_->Retire(std::move(ref->table));
      tables_.erase(it);
      return;
    }
  }
}

void Worker::Accept(int fd, uint32_t gateway_port) {
  if (connections_.size() >= options_.max_connections_per_worker || draining_) {
    counters_.overload_refusals++;
    static constexpr char kRefusal[] =
        "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
    [[maybe_unused]] ssize_t n = send(fd, kRefusal, sizeof kRefusal - 1, MSG_NOSIGNAL);
    ::close(fd);
    return;
  }
  event::SetNoDelay(fd);
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  std::string peer;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
    event::SocketAddress a;
    a.storage = ss;
    a.length = len;
    peer = a.ToString();
  }
  auto* c = new DownstreamConnection(this, fd, gateway_port, std::move(peer));
  connections_.insert(c);
  counters_.downstream_connections_total++;
  counters_.downstream_connections_active++;
  loop_.Add(fd, c);
}

void Worker::ConnectionClosed(DownstreamConnection* c) {
  if (connections_.erase(c) > 0) {
    counters_.downstream_connections_active--;
    delete c;
  }
  if (draining_) CheckDrained();
}

ShadowRequest* Worker::NewShadow() {
  if (shadows_.size() >= ShadowRequest::kMaxShadows) return nullptr;
  auto shadow = std::make_unique<ShadowRequest>(*this);
  ShadowRequest* raw = shadow.get();
  shadows_.emplace(raw, std::move(shadow));
  return raw;
}

void Worker::ShadowDone(ShadowRequest* shadow) {
  // Not now: the shadow is on the stack (its timer's or its connection's callback).
  loop_.Post([this, shadow] { shadows_.erase(shadow); });
}

size_t Worker::pending_count(uint32_t cluster) {
  auto it = pending_.find(cluster);
  if (it == pending_.end()) return 0;
  // Entries of requests that stopped waiting (a timeout) are dropped here.
  std::deque<DownstreamConnection*>& q = it->second;
  std::erase_if(q, [cluster](DownstreamConnection* c) { return !c->PendingOn(cluster); });
  return q.size();
}

void Worker::ResumePending(uint32_t cluster) {
  auto it = pending_.find(cluster);
  if (it == pending_.end()) return;
  std::deque<DownstreamConnection*>& q = it->second;
  while (!q.empty()) {
    DownstreamConnection* c = q.front();
    q.pop_front();
    if (c->PendingOn(cluster)) {
      c->ResumeFromPending();
      return;
    }
  }
}

void Worker::RemovePending(DownstreamConnection* c) {
  for (auto& [cluster, q] : pending_) std::erase(q, c);
}

void Worker::CheckDrained() {
  if (draining_ && connections_.empty()) loop_.Stop();
}

UpstreamConnection* Worker::AcquireUpstream(const router::Endpoint& endpoint) {
  auto it = idle_.find(endpoint.address_text);
  if (it != idle_.end()) {
    while (!it->second.empty()) {
      UpstreamConnection* c = it->second.back();
      it->second.pop_back();
      c->LeavePool(/*counts_as_reuse=*/true);
      if (c->closed()) continue;
      counters_.upstream_reused++;
      return c;
    }
  }
  Result<int> fd = event::ConnectNonBlocking(endpoint.address);
  if (!fd.ok()) return nullptr;
  auto* c = new UpstreamConnection(this, *fd, endpoint);
  upstreams_.insert(c);
  counters_.upstream_connections_total++;
  loop_.Add(*fd, c);
  return c;
}

void Worker::ReleaseUpstream(UpstreamConnection* c) {
  std::vector<UpstreamConnection*>& pool = idle_[c->key()];
  if (pool.size() >= options_.max_idle_upstream_per_endpoint || draining_) {
    c->Close();
    return;
  }
  c->EnterPool(options_.upstream_idle_timeout_nanos);
  pool.push_back(c);
}

void Worker::ForgetIdle(UpstreamConnection* c) {
  auto it = idle_.find(c->key());
  if (it == idle_.end()) return;
  auto& v = it->second;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == c) {
      v.erase(v.begin() + static_cast<std::ptrdiff_t>(i));
      break;
    }
  }
}

void Worker::UpstreamClosed(UpstreamConnection* c) {
  if (upstreams_.erase(c) > 0) {
    if (c->connected()) counters_.upstream_connections_active--;
    delete c;
  }
}

void Worker::FormatRequestId(char out[36]) {
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t a = lb_.random().Next(), b = lb_.random().Next();
  // UUID version 4, variant 1.
  a = (a & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;
  b = (b & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;
  int pos = 0;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out[pos++] = '-';
    uint64_t word = i < 16 ? a : b;
    int shift = 60 - 4 * (i % 16);
    out[pos++] = kHex[(word >> shift) & 15];
  }
}

}  // namespace canaryd::proxy

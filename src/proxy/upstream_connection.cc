#include "proxy/upstream_connection.h"

#include "proxy/worker.h"

namespace canaryd::proxy {

UpstreamConnection::UpstreamConnection(Worker* w, int fd, const router::Endpoint& endpoint)
    : worker_(w), transport_(fd), key_(endpoint.address_text), timer_(&w->loop(), [this] {
        if (idle_) {
          Close();
        } else if (user_ != nullptr) {
          user_->OnConnectTimeout();
        }
      }) {}

void UpstreamConnection::OnIo(uint32_t events) {
  if (closed_) return;
  if (user_ != nullptr) {
    user_->OnUpstreamEvents(events);
    return;
  }
  // Idle in the pool: any event means the peer closed it or sent something unexpected.
  Close();
}

void UpstreamConnection::Attach(User* user, int64_t connect_timeout_nanos) {
  user_ = user;
  ++requests_;
  if (!connected_) timer_.Arm(connect_timeout_nanos);
}

bool UpstreamConnection::FinishConnect() {
  if (transport_.PendingError() != 0) return false;
  connected_ = true;
  transport_.set_writable(true);
  timer_.Cancel();
  worker_->counters().upstream_connections_active++;
  return true;
}

void UpstreamConnection::EnterPool(int64_t idle_timeout_nanos) {
  idle_ = true;
  in_.ShrinkIfEmpty();
  out_.ShrinkIfEmpty();
  timer_.Arm(idle_timeout_nanos);
}

void UpstreamConnection::LeavePool(bool counts_as_reuse) {
  idle_ = false;
  timer_.Cancel();
  if (counts_as_reuse) reused_ = true;
}

void UpstreamConnection::Close() {
  if (closed_) return;
  closed_ = true;
  timer_.Cancel();
  if (idle_) {
    idle_ = false;
    worker_->ForgetIdle(this);
  }
  worker_->loop().Remove(transport_.fd());
  transport_.Close();
  Worker* w = worker_;
  w->loop().Defer([w, self = this] { w->UpstreamClosed(self); });
}

}  // namespace canaryd::proxy

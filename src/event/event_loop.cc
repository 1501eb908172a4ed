#include "event/event_loop.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

namespace canaryd::event {

struct Timer::List {
  int64_t duration = 0;
  Timer* head = nullptr;
  Timer* tail = nullptr;
};

void Timer::Arm(int64_t duration_nanos) {
  Cancel();
  List*& list = loop_->timer_lists_[duration_nanos];
  if (list == nullptr) {
    list = new List();
    list->duration = duration_nanos;
  }
  deadline_ = loop_->now_ + duration_nanos;
  list_ = list;
  prev_ = list->tail;
  next_ = nullptr;
  if (list->tail) {
    list->tail->next_ = this;
  } else {
    list->head = this;
  }
  list->tail = this;
}

void Timer::Cancel() {
  if (list_ == nullptr) return;
  if (prev_) {
    prev_->next_ = next_;
  } else {
    list_->head = next_;
  }
  if (next_) {
    next_->prev_ = prev_;
  } else {
    list_->tail = prev_;
  }
  list_ = nullptr;
  prev_ = next_ = nullptr;
}

EventLoop::EventLoop(const Clock& clock) : clock_(clock) {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  wakefd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // the wake-up eventfd
  epoll_ctl(epfd_, EPOLL_CTL_ADD, wakefd_, &ev);
  now_ = clock_.MonotonicNanos();
  wall_micros_ = clock_.WallNanos() / 1000;
}

EventLoop::~EventLoop() {
  for (auto& [d, list] : timer_lists_) {
    for (Timer* t = list->head; t != nullptr;) {
      Timer* next = t->next_;
      t->list_ = nullptr;
      t = next;
    }
    delete list;
  }
  if (wakefd_ >= 0) close(wakefd_);
  if (epfd_ >= 0) close(epfd_);
}

bool EventLoop::Add(int fd, IoHandler* handler) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = handler;
  return epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

bool EventLoop::AddListener(int fd, IoHandler* handler) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = handler;
  return epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

void EventLoop::Remove(int fd) {
  epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
}

void EventLoop::Stop() {
  stop_.store(true);
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wakefd_, &one, sizeof one);
}

void EventLoop::Post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(post_mu_);
    posted_.push_back(std::move(fn));
  }
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wakefd_, &one, sizeof one);
}

void EventLoop::DrainPosts() {
  uint64_t value;
  [[maybe_unused]] ssize_t n = read(wakefd_, &value, sizeof value);
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> lock(post_mu_);
    batch.swap(posted_);
  }
  for (auto& fn : batch) fn();
}

int EventLoop::NextTimeoutMs() const {
  int64_t next = INT64_MAX;
  for (const auto& [d, list] : timer_lists_) {
    if (list->head && list->head->deadline_ < next) next = list->head->deadline_;
  }
  if (next == INT64_MAX) return 1000;
  int64_t wait = (next - now_ + 999'999) / 1'000'000;
  if (wait < 0) return 0;
  return wait > 1000 ? 1000 : static_cast<int>(wait);
}

void EventLoop::RunTimers() {
  int64_t lag = 0;
  for (auto& [d, list] : timer_lists_) {
    while (list->head != nullptr && list->head->deadline_ <= now_) {
      Timer* t = list->head;
      if (now_ - t->deadline_ > lag) lag = now_ - t->deadline_;
      t->Cancel();
      t->callback_();  // may re-arm t or destroy it; the list is re-read from its head
    }
  }
  last_lag_ = lag;
}

void EventLoop::RunOnce(int timeout_ms) {
  constexpr int kMaxEvents = 256;
  epoll_event events[kMaxEvents];
  int n = epoll_wait(epfd_, events, kMaxEvents, timeout_ms);
  now_ = clock_.MonotonicNanos();
  wall_micros_ = clock_.WallNanos() / 1000;
  for (int i = 0; i < n; ++i) {
    auto* handler = static_cast<IoHandler*>(events[i].data.ptr);
    if (handler == nullptr) {
      DrainPosts();
    } else {
      handler->OnIo(events[i].events);
    }
  }
  while (!deferred_.empty()) {
    std::vector<std::function<void()>> batch;
    batch.swap(deferred_);
    for (auto& fn : batch) fn();
  }
  RunTimers();
}

void EventLoop::Run() {
  while (!stop_.load(std::memory_order_relaxed)) RunOnce(NextTimeoutMs());
  DrainPosts();
}

}  // namespace canaryd::event

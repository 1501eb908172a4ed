#include "event/event_loop.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <utility>

namespace canaryd::event {

struct Timer::List {
  int64_t duration = 0;
  Timer* head = nullptr;
  Timer* tail = nullptr;
  size_t heap_index = SIZE_MAX;  // SIZE_MAX: empty, not in the heap
};

void Timer::Arm(int64_t duration_nanos) {
  Cancel();
  List*& list = loop_->timer_lists_[duration_nanos];
  if (list == nullptr) {
    list = new List();
    list->duration = duration_nanos;
    ++loop_->idle_lists_;
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
  // Appending never moves the head; only a list that was empty enters the heap.
  if (list->heap_index == SIZE_MAX) {
    --loop_->idle_lists_;
    loop_->HeapInsert(list);
  }
}

void Timer::Cancel() {
  if (list_ == nullptr) return;
  List* list = list_;
  const bool was_head = prev_ == nullptr;
  if (prev_) {
    prev_->next_ = next_;
  } else {
    list->head = next_;
  }
  if (next_) {
    next_->prev_ = prev_;
  } else {
    list->tail = prev_;
  }
  list_ = nullptr;
  prev_ = next_ = nullptr;
  if (list->head == nullptr) {
    loop_->ListEmptied(list);
  } else if (was_head) {
    loop_->HeapFix(list);
  }
}

void EventLoop::ListEmptied(Timer::List* list) {
  HeapRemove(list);
  if (idle_lists_ < kMaxIdleTimerLists) {
    ++idle_lists_;
    return;
  }
  // A configuration with many distinct durations does not keep a list for each forever.
  timer_lists_.erase(list->duration);
  delete list;
}

void EventLoop::HeapInsert(Timer::List* list) {
  list->heap_index = timer_heap_.size();
  timer_heap_.push_back(list);
  SiftUp(list->heap_index);
}

void EventLoop::HeapRemove(Timer::List* list) {
  size_t i = list->heap_index;
  if (i == SIZE_MAX) return;
  Timer::List* last = timer_heap_.back();
  timer_heap_.pop_back();
  list->heap_index = SIZE_MAX;
  if (last == list) return;
  timer_heap_[i] = last;
  last->heap_index = i;
  SiftUp(i);
  SiftDown(last->heap_index);
}

void EventLoop::HeapFix(Timer::List* list) {
  if (list->heap_index != SIZE_MAX) SiftDown(list->heap_index);
}

void EventLoop::SiftUp(size_t i) {
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (HeadDeadline(timer_heap_[parent]) <= HeadDeadline(timer_heap_[i])) break;
    std::swap(timer_heap_[parent], timer_heap_[i]);
    timer_heap_[parent]->heap_index = parent;
    timer_heap_[i]->heap_index = i;
    i = parent;
  }
}

void EventLoop::SiftDown(size_t i) {
  const size_t n = timer_heap_.size();
  for (;;) {
    size_t smallest = i;
    for (size_t c = 2 * i + 1; c <= 2 * i + 2 && c < n; ++c) {
      if (HeadDeadline(timer_heap_[c]) < HeadDeadline(timer_heap_[smallest])) smallest = c;
    }
    if (smallest == i) break;
    std::swap(timer_heap_[smallest], timer_heap_[i]);
    timer_heap_[smallest]->heap_index = smallest;
    timer_heap_[i]->heap_index = i;
    i = smallest;
  }
}

int64_t EventLoop::HeadDeadline(const Timer::List* list) {
  return list->head->deadline_;
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
  if (timer_heap_.empty()) return 1000;
  int64_t wait = (HeadDeadline(timer_heap_.front()) - now_ + 999'999) / 1'000'000;
  if (wait < 0) return 0;
  return wait > 1000 ? 1000 : static_cast<int>(wait);
}

void EventLoop::RunTimers() {
  int64_t lag = 0;
  for (int fired = 0; fired < kMaxTimersPerIteration && !timer_heap_.empty(); ++fired) {
    Timer* t = timer_heap_.front()->head;
    if (t->deadline_ > now_) break;
    if (now_ - t->deadline_ > lag) lag = now_ - t->deadline_;
    t->Cancel();
    t->callback_();  // may re-arm t, arm others or destroy t; the heap is re-read
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

#include "http/buffer.h"

#include <cstdlib>
#include <new>
#include <vector>

namespace canaryd::http {
namespace {

// Blocks of kBlockSize, recycled per thread. Bounded so a burst does not pin memory forever.
class BlockCache {
 public:
  ~BlockCache() {
    for (char* b : free_) std::free(b);
  }
  char* Get() {
#ifndef CANARYD_SANITIZE
    if (!free_.empty()) {
      char* b = free_.back();
      free_.pop_back();
      return b;
    }
#endif
    return Allocate(Buffer::kBlockSize);
  }
  void Put(char* b) {
#ifndef CANARYD_SANITIZE
    if (free_.size() < kMaxCached) {
      free_.push_back(b);
      return;
    }
#endif
    std::free(b);
  }
  static char* Allocate(size_t n) {
    char* p = static_cast<char*>(std::malloc(n));
    if (p == nullptr) throw std::bad_alloc();
    return p;
  }

 private:
  static constexpr size_t kMaxCached = 4096;  // 64 MiB per thread at most
  std::vector<char*> free_;
};

thread_local BlockCache tls_cache;

}  // namespace

Buffer& Buffer::operator=(Buffer&& o) noexcept {
  if (this != &o) {
    Release();
    data_ = o.data_;
    cap_ = o.cap_;
    rpos_ = o.rpos_;
    wpos_ = o.wpos_;
    o.data_ = nullptr;
    o.cap_ = o.rpos_ = o.wpos_ = 0;
  }
  return *this;
}

void Buffer::Release() {
  if (data_ != nullptr) {
    if (cap_ == kBlockSize) {
      tls_cache.Put(data_);
    } else {
      std::free(data_);
    }
  }
  data_ = nullptr;
  cap_ = rpos_ = wpos_ = 0;
}

void Buffer::Reserve(size_t n) {
  if (cap_ - wpos_ >= n) return;
  if (data_ == nullptr && n <= kBlockSize) {
    data_ = tls_cache.Get();
    cap_ = kBlockSize;
    return;
  }
  // Reclaim consumed space first when that is enough.
  if (rpos_ > 0 && cap_ - (wpos_ - rpos_) >= n && rpos_ >= cap_ / 2) {
    Compact();
    return;
  }
  size_t want = cap_ == 0 ? kBlockSize : cap_;
  while (want - wpos_ < n) want *= 2;
  char* fresh = BlockCache::Allocate(want);
  if (wpos_ > 0) std::memcpy(fresh, data_, wpos_);
  char* old = data_;
  size_t old_cap = cap_;
  data_ = fresh;
  cap_ = want;
  if (old != nullptr) {
    if (old_cap == kBlockSize) {
      tls_cache.Put(old);
    } else {
      std::free(old);
    }
  }
}

void Buffer::Compact() {
  if (rpos_ == 0) return;
  size_t n = wpos_ - rpos_;
  if (n > 0) std::memmove(data_, data_ + rpos_, n);
  rpos_ = 0;
  wpos_ = n;
}

void Buffer::AppendDecimal(uint64_t v) {
  char tmp[20];
  int i = 20;
  do {
    tmp[--i] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  Append(tmp + i, 20 - i);
}

void Buffer::AppendHex(uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  char tmp[16];
  int i = 16;
  do {
    tmp[--i] = kDigits[v & 15];
    v >>= 4;
  } while (v != 0);
  Append(tmp + i, 16 - i);
}

}  // namespace canaryd::http

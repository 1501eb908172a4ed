// Buffer: a byte buffer with a read and a write position, for socket input and output. Memory
// comes from a per-thread free list of 16 KiB blocks (recycling is off under the sanitizers so
// they see every allocation), so a busy worker does not go to malloc per connection. A Buffer
// belongs to one thread.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace canaryd::http {

class Buffer {
 public:
  static constexpr size_t kBlockSize = 16 * 1024;

  Buffer() = default;
  ~Buffer() { Release(); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  Buffer(Buffer&& o) noexcept { *this = std::move(o); }
  Buffer& operator=(Buffer&& o) noexcept;

  char* base() { return data_; }
  const char* base() const { return data_; }
  // Readable bytes: [read_pos, write_pos).
  const char* read_ptr() const { return data_ + rpos_; }
  size_t readable() const { return wpos_ - rpos_; }
  size_t read_pos() const { return rpos_; }
  void Consume(size_t n) {
    rpos_ += n;
    if (rpos_ == wpos_) rpos_ = wpos_ = 0;
  }
  // Writable space after write_pos; Reserve makes at least n bytes of it.
  char* write_ptr() { return data_ + wpos_; }
  size_t writable() const { return cap_ - wpos_; }
  void Reserve(size_t n);
  void Commit(size_t n) { wpos_ += n; }
  // Moves the readable bytes to the start of the buffer (offsets into it change).
  void Compact();

  void Append(const void* p, size_t n) {
    if (n == 0) return;
    if (writable() < n) Reserve(n);
    std::memcpy(data_ + wpos_, p, n);
    wpos_ += n;
  }
  void Append(std::string_view s) { Append(s.data(), s.size()); }
  void AppendDecimal(uint64_t v);
  void AppendHex(uint64_t v);

  size_t capacity() const { return cap_; }
  bool empty() const { return rpos_ == wpos_; }
  // Returns the memory to the free list when the buffer is empty and holds one block or more
  // (idle keep-alive connections then cost no buffer memory).
  void ShrinkIfEmpty() {
    if (rpos_ == wpos_ && data_ != nullptr) Release();
  }

 private:
  void Release();

  char* data_ = nullptr;
  size_t cap_ = 0;
  size_t rpos_ = 0;
  size_t wpos_ = 0;
};

}  // namespace canaryd::http

// A reader of the protobuf wire format (varints, fixed 32/64-bit, length-delimited fields), the
// layer under protobuf_body's decoding of Kubernetes' objects. It never reads past its input and
// reports malformed input as a failure instead of guessing. A value over one message's bytes;
// one thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace canaryd::api {

enum class WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLength = 2, kFixed32 = 5 };

struct WireField {
  uint32_t number = 0;
  WireType type = WireType::kVarint;
  uint64_t varint = 0;     // kVarint, kFixed64, kFixed32
  std::string_view bytes;  // kLength
};

class WireReader {
 public:
  explicit WireReader(std::string_view data) : data_(data) {}

  // The next field; false at the end or on malformed input (then ok() is false).
  bool Next(WireField* f) {
    if (pos_ >= data_.size()) return false;
    uint64_t tag = 0;
    if (!Varint(&tag) || (tag >> 3) == 0 || (tag >> 3) > 0x1fffffff) return Fail();
    f->number = static_cast<uint32_t>(tag >> 3);
    switch (tag & 7) {
      case 0:
        f->type = WireType::kVarint;
        return Varint(&f->varint) || Fail();
      case 1:
        f->type = WireType::kFixed64;
        return Fixed(8, &f->varint);
      case 5:
        f->type = WireType::kFixed32;
        return Fixed(4, &f->varint);
      case 2: {
        uint64_t len = 0;
        if (!Varint(&len) || len > data_.size() - pos_) return Fail();
        f->type = WireType::kLength;
        f->bytes = data_.substr(pos_, static_cast<size_t>(len));
        pos_ += static_cast<size_t>(len);
        return true;
      }
      default:  // groups (3, 4) are not used by Kubernetes; 6, 7 do not exist
        return Fail();
    }
  }
  bool ok() const { return ok_; }

 private:
  bool Fail() {
    ok_ = false;
    pos_ = data_.size();
    return false;
  }
  bool Fixed(size_t n, uint64_t* out) {
    if (n > data_.size() - pos_) return Fail();
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) {
      v |= static_cast<uint64_t>(static_cast<uint8_t>(data_[pos_ + i])) << (8 * i);
    }
    pos_ += n;
    *out = v;
    return true;
  }
  bool Varint(uint64_t* out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return false;
      uint8_t b = static_cast<uint8_t>(data_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) {
        *out = v;
        return true;
      }
    }
    return false;
  }

  std::string_view data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace canaryd::api

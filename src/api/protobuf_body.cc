#include "api/protobuf_body.h"

#include <cstdint>
#include <string_view>

namespace canaryd::api {
namespace {

// One protobuf message's fields, read in order.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  // The next field: its number, wire type and (for LEN fields) its bytes. False at the end or
  // on malformed input (then ok() is false).
  bool Next(uint32_t* field, uint32_t* wire, std::string_view* bytes) {
    if (pos_ >= data_.size()) return false;
    uint64_t tag;
    if (!Varint(&tag)) return Fail();
    *field = static_cast<uint32_t>(tag >> 3);
    *wire = static_cast<uint32_t>(tag & 7);
    uint64_t v;
    switch (*wire) {
      case 0:
        return Varint(&v) || Fail();
      case 1:
        return Skip(8);
      case 5:
        return Skip(4);
      case 2:
        if (!Varint(&v) || v > data_.size() - pos_) return Fail();
        *bytes = data_.substr(pos_, static_cast<size_t>(v));
        pos_ += static_cast<size_t>(v);
        return true;
      default:
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
  bool Skip(size_t n) {
    if (n > data_.size() - pos_) return Fail();
    pos_ += n;
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

bool MapEntry(std::string_view entry, std::string* key, std::string* value) {
  Reader r(entry);
  uint32_t field, wire;
  std::string_view bytes;
  while (r.Next(&field, &wire, &bytes)) {
    if (wire != 2) continue;
    if (field == 1) *key = std::string(bytes);
    if (field == 2) *value = std::string(bytes);
  }
  return r.ok();
}

}  // namespace

std::optional<nlohmann::json> DecodeProtobufNamespace(const std::string& body) {
  using nlohmann::json;
  if (body.size() < 4 || body.compare(0, 4, std::string("k8s\0", 4)) != 0) return std::nullopt;
  Reader unknown(std::string_view(body).substr(4));
  uint32_t field, wire;
  std::string_view bytes, raw;
  std::string api_version, kind;
  while (unknown.Next(&field, &wire, &bytes)) {
    if (wire != 2) continue;
    if (field == 1) {  // TypeMeta
      Reader tm(bytes);
      std::string_view b;
      uint32_t f, w;
      while (tm.Next(&f, &w, &b)) {
        if (w == 2 && f == 1) api_version = std::string(b);
        if (w == 2 && f == 2) kind = std::string(b);
      }
    } else if (field == 2) {
      raw = bytes;
    }
  }
  if (!unknown.ok() || api_version != "v1" || kind != "Namespace") return std::nullopt;
  json meta = json::object();
  Reader ns(raw);
  while (ns.Next(&field, &wire, &bytes)) {
    if (field != 1 || wire != 2) continue;  // only metadata; spec and status are server-set
    Reader m(bytes);
    std::string_view b;
    uint32_t f, w;
    while (m.Next(&f, &w, &b)) {
      if (w != 2) continue;
      if (f == 1 && !b.empty()) meta["name"] = std::string(b);
      if (f == 2 && !b.empty()) meta["generateName"] = std::string(b);
      if (f == 11 || f == 12) {
        std::string key, value;
        if (!MapEntry(b, &key, &value)) return std::nullopt;
        meta[f == 11 ? "labels" : "annotations"][key] = value;
      }
    }
    if (!m.ok()) return std::nullopt;
  }
  if (!ns.ok()) return std::nullopt;
  return json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", meta}};
}

}  // namespace canaryd::api

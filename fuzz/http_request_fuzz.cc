// Fuzz target: bytes from a client, fed to the request parser the way a connection feeds it
// (in pieces whose sizes the input's first byte chooses), with the head checks the gateway
// applies. Beyond "no crash": every body piece must lie inside the bytes fed, a message must not
// consume more than it was given, and an error must come with a 4xx status.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "http/parser.h"
#include "http/request_checks.h"

namespace {

void Require(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t piece = 1 + data[0] % 64;  // 1..64 bytes per read, or everything at once for 64
  std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  canaryd::http::Parser parser(canaryd::http::Parser::Kind::kRequest);
  parser.Reset();
  size_t head_start = 0;  // where the current message starts
  size_t pos = 0;
  size_t available = 0;  // bytes "received" so far
  int messages = 0;
  while (messages < 1000) {
    if (pos == available && !parser.completion_pending()) {
      if (available == text.size()) break;
      available = piece == 64 ? text.size() : std::min(text.size(), available + piece);
    }
    size_t used = 0;
    const char* base = text.data() + head_start;
    canaryd::http::Parser::State s = parser.Feed(base, text.data() + pos, available - pos, &used);
    Require(used <= available - pos);
    for (const auto& b : parser.body()) {
      Require(b.data >= text.data() + pos && b.data + b.length <= text.data() + pos + used);
    }
    pos += used;
    if (s == canaryd::http::Parser::State::kError) {
      Require(parser.error_status() >= 400 && parser.error_status() < 500);
      break;
    }
    if (s == canaryd::http::Parser::State::kHeadComplete) {
      const char* reason = nullptr;
      int status = canaryd::http::CheckRequestHead(parser.head(), base, &reason);
      if (status != 0) {
        Require(status >= 400 && status < 500 && reason != nullptr);
        break;  // the gateway answers and closes
      }
      parser.Resume();
      continue;
    }
    if (s == canaryd::http::Parser::State::kMessageComplete) {
      ++messages;
      head_start = pos;
      parser.Reset();
    }
  }
  return 0;
}

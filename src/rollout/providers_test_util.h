// Test-only helpers for the outbound clients' tests: HTTP responses to script a
// testing::PieceBackend with, a request as the backend recorded it split into its parts, and a
// gate that holds a reply until the test releases it (bounded, so a failed test cannot hang).
// The gate is shared between the test thread and the backend's connection threads.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "testing/piece_backend.h"

namespace canaryd::rollout::testing {

inline std::string HttpResponse(int status, const std::string& body,
                                const std::string& extra_headers = "",
                                const std::string& content_type = "application/json") {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: " + content_type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra_headers + "\r\n" +
         body;
}

inline canaryd::testing::PieceBackend::Reply Send(std::string bytes, bool close_after = false) {
  canaryd::testing::PieceBackend::Reply r;
  r.bytes = std::move(bytes);
  r.close_after = close_after;
  return r;
}

struct RecordedRequest {
  std::string method;
  std::string target;  // path and query
  std::string head;    // request line and headers
  std::string body;

  // The value of the first header called `name` (case-insensitive), or "" when absent.
  std::string Header(const std::string& name) const {
    size_t pos = head.find("\r\n");
    while (pos != std::string::npos && pos + 2 < head.size()) {
      size_t start = pos + 2;
      size_t eol = head.find("\r\n", start);
      std::string line = head.substr(start, eol == std::string::npos ? eol : eol - start);
      size_t colon = line.find(':');
      if (colon != std::string::npos && colon == name.size()) {
        bool same = true;
        for (size_t i = 0; i < colon; ++i) {
          same = same && std::tolower(static_cast<unsigned char>(line[i])) ==
                             std::tolower(static_cast<unsigned char>(name[i]));
        }
        if (same) {
          size_t v = line.find_first_not_of(' ', colon + 1);
          return v == std::string::npos ? "" : line.substr(v);
        }
      }
      pos = eol;
    }
    return "";
  }
  bool HasHeader(const std::string& name) const {
    return head.find("\r\n" + name + ":") != std::string::npos;
  }
};

// Splits a request as PieceBackend recorded it (Content-Length bodies only, as libcurl sends).
inline RecordedRequest ParseRecorded(const std::string& raw) {
  RecordedRequest r;
  size_t end = raw.find("\r\n\r\n");
  r.head = raw.substr(0, end);
  if (end != std::string::npos) r.body = raw.substr(end + 4);
  size_t sp1 = r.head.find(' ');
  size_t sp2 = r.head.find(' ', sp1 + 1);
  r.method = r.head.substr(0, sp1);
  r.target = r.head.substr(sp1 + 1, sp2 - sp1 - 1);
  return r;
}

// Holds a reply until Release() or `max` passes, so the backend's thread ends soon after the
// test, whatever the test did.
class Gate {
 public:
  void Wait(std::chrono::milliseconds max) {
    auto deadline = std::chrono::steady_clock::now() + max;
    while (!released_ && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  void Release() { released_ = true; }

 private:
  std::atomic<bool> released_{false};
};

}  // namespace canaryd::rollout::testing

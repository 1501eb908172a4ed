// HttpClient: canaryctl's connection to canaryd's admin API, over libcurl: a server URL, an
// optional bearer token, JSON in and out, Warning headers collected. One client per thread
// (libcurl easy handles are not shared); curl_global_init is done once per process.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace canaryd::client {

struct ClientOptions {
  std::string server = "http://127.0.0.1:15000";
  std::string token;      // sent as Authorization: Bearer when not empty
  std::string ca_file;    // PEM file of the CA (or self-signed certificate) to trust, for https
  bool insecure = false;  // https without verifying the server's certificate
  long timeout_ms = 30'000;
};

struct HttpResult {
  long status = 0;
  std::string body;
  std::vector<std::string> warnings;                         // the text of each Warning header
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased, in order

  // The first value of header `name` (lowercase), or "".
  std::string Header(const std::string& name) const {
    for (const auto& [n, v] : headers) {
      if (n == name) return v;
    }
    return "";
  }
};

class HttpClient {
 public:
  explicit HttpClient(ClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // `path` starts with '/' and may carry a query. Errors are transport errors only (an HTTP
  // error status is a result). kUnavailable when the server cannot be reached.
  Result<HttpResult> Request(const std::string& method, const std::string& path,
                             const std::string& body = "",
                             const std::string& content_type = "application/json",
                             const std::string& accept = "application/json");

  const ClientOptions& options() const { return options_; }

 private:
  ClientOptions options_;
  void* curl_ = nullptr;  // CURL*
};

// Reads a token file (content without surrounding white space).
Result<std::string> ReadTokenFile(const std::string& path);

}  // namespace canaryd::client

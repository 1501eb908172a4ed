#include "client/http_client.h"

#include <curl/curl.h>

#include <cctype>

#include <fstream>
#include <mutex>
#include <sstream>

namespace canaryd::client {
namespace {

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

// Collects the response's header fields (names lowercased), and the text of Warning headers:
// `299 - "text"` -> text.
size_t WriteHeader(char* data, size_t size, size_t n, void* user) {
  std::string line(data, size * n);
  auto* result = static_cast<HttpResult*>(user);
  size_t colon = line.find(':');
  if (colon == std::string::npos || colon == 0) return size * n;  // status line, blank line
  std::string name = line.substr(0, colon);
  for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  std::string v = line.substr(colon + 1);
  size_t b = v.find_first_not_of(" \t");
  size_t e = v.find_last_not_of(" \t\r\n");
  result->headers.emplace_back(name, b == std::string::npos ? "" : v.substr(b, e - b + 1));
  if (name == "warning") {
    size_t q1 = v.find('"');
    size_t q2 = v.rfind('"');
    if (q1 != std::string::npos && q2 > q1) {
      std::string text;
      for (size_t i = q1 + 1; i < q2; ++i) {
        if (v[i] == '\\' && i + 1 < q2) ++i;
        text += v[i];
      }
      result->warnings.push_back(text);
    }
  }
  return size * n;
}

}  // namespace

HttpClient::HttpClient(ClientOptions options) : options_(std::move(options)) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  curl_ = curl_easy_init();
  while (!options_.server.empty() && options_.server.back() == '/') options_.server.pop_back();
}

HttpClient::~HttpClient() {
  if (curl_) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

Result<HttpResult> HttpClient::Request(const std::string& method, const std::string& path,
                                       const std::string& body, const std::string& content_type,
                                       const std::string& accept) {
  CURL* c = static_cast<CURL*>(curl_);
  if (c == nullptr) return Internal("curl_easy_init failed");
  curl_easy_reset(c);
  HttpResult result;
  std::string url = options_.server + path;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, options_.timeout_ms);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &result);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "canaryctl/0.1");
  if (method == "HEAD") curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  if (!options_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (options_.insecure) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, ("Accept: " + accept).c_str());
  headers = curl_slist_append(headers, "Expect:");
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    headers = curl_slist_append(headers, ("Content-Type: " + content_type).c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  if (!options_.token.empty()) {
    headers = curl_slist_append(headers, ("Authorization: Bearer " + options_.token).c_str());
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    return Unavailable("cannot reach " + options_.server + ": " + curl_easy_strerror(rc));
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &result.status);
  return result;
}

Result<std::string> ReadTokenFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot read token file " + path);
  std::ostringstream buf;
  buf << in.rdbuf();
  std::string t = buf.str();
  size_t b = t.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return InvalidArgument("token file " + path + " is empty");
  size_t e = t.find_last_not_of(" \t\r\n");
  return t.substr(b, e - b + 1);
}

}  // namespace canaryd::client

#include "rollout/outbound_http.h"

#include <curl/curl.h>

#include <cerrno>
#include <cstring>
#include <mutex>

namespace canaryd::rollout::internal {
namespace {

struct BodySink {
  std::string* body;
  size_t max;
  bool truncated = false;
};

// Past the bound the transfer is aborted rather than drained: a remote that streams forever
// would otherwise hold the controller's thread until the timeout. The status line and headers
// have arrived by then, so the caller still decides on the status.
size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  size_t len = size * n;
  size_t room = sink->max - sink->body->size();
  if (len > room) {
    sink->body->append(data, room);
    sink->truncated = true;
    return 0;  // CURLE_WRITE_ERROR, recognised below
  }
  sink->body->append(data, len);
  return len;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && StartsWithNoCase(a, b);
}

std::string ConnectError(long os_errno) {
  switch (os_errno) {
    case ECONNREFUSED:
      return "connection refused";
    case ENETUNREACH:
      return "network unreachable";
    case EHOSTUNREACH:
      return "host unreachable";
    case 0:
      return "cannot connect";
    default:
      return std::string("cannot connect: ") + std::strerror(static_cast<int>(os_errno));
  }
}

void Fail(OutboundResponse* r, TransportFailure failure, std::string error) {
  r->failure = failure;
  r->error = std::move(error);
}

}  // namespace

std::string FormatDuration(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
  return std::to_string(d.count()) + "ms";
}

std::string Printable(std::string_view text, size_t max_bytes) {
  std::string out;
  size_t n = std::min(text.size(), max_bytes);
  out.reserve(n + 3);
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\r' || c == '\n' || c == '\t') {
      out += ' ';
    } else if (c < 0x20 || c > 0x7e) {
      out += '?';
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > max_bytes) out += "...";
  return out;
}

std::string HeaderLine(std::string_view name, std::string_view value) {
  std::string line(name);
  if (value.empty()) return line + ";";
  line += ": ";
  line += value;
  return line;
}

std::string CheckHeader(std::string_view name, std::string_view value) {
  static constexpr std::string_view kTokenChars = "!#$%&'*+-.^_`|~";
  if (name.empty()) return "empty header name";
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && kTokenChars.find(c) == kTokenChars.npos) {
      return "invalid header name \"" + Printable(name, 64) + "\"";
    }
  }
  for (char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') {
      return "header " + std::string(name) + ": the value contains CR, LF or NUL";
    }
  }
  // These frame the request or fix its media type; letting configuration override them would
  // let it break the framing (request smuggling through a proxy) or the JSON contract.
  for (std::string_view reserved : {"content-length", "transfer-encoding", "content-type", "expect",
                                    "connection", "upgrade", "te"}) {
    if (EqualsNoCase(name, reserved)) return "header " + std::string(name) + " is set by canaryd";
  }
  return "";
}

OutboundResponse Perform(const OutboundRequest& request) {
  OutboundResponse r;
  auto start = std::chrono::steady_clock::now();
  auto finish = [&] {
    r.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    return r;
  };
  if (!StartsWithNoCase(request.url, "http://") && !StartsWithNoCase(request.url, "https://")) {
    // The URL is not quoted: it may carry credentials (user:password@host).
    Fail(&r, TransportFailure::kBadRequest, "URL must start with http:// or https://");
    return finish();
  }
  if (request.timeout.count() <= 0 || request.connect_timeout.count() <= 0) {
    Fail(&r, TransportFailure::kBadRequest, "timeouts must be positive");
    return finish();
  }

  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  CURL* c = curl_easy_init();
  if (c == nullptr) {
    Fail(&r, TransportFailure::kBadRequest, "curl_easy_init failed");
    return finish();
  }
  char errbuf[CURL_ERROR_SIZE] = {0};
  BodySink sink{&r.body, request.max_body_bytes};
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  // Belt and braces with the check above: libcurl also speaks file://, gopher://, smtp://, ...
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  // An empty proxy disables http_proxy/https_proxy/all_proxy from the environment: they are set
  // for other traffic (image pulls, package mirrors) and would silently route webhooks and
  // queries, and their bodies, through a third party.
  curl_easy_setopt(c, CURLOPT_PROXY, "");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // signals are process-wide; timeouts are polled
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(request.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_USERAGENT, "canaryd-rollout/0.1");
  // CURLOPT_ACCEPT_ENCODING stays unset: no decompression, so the bound is on what is read and
  // a small gzip bomb cannot expand in memory.
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_slist* headers = nullptr;
  // Without "Expect:" libcurl waits up to a second for 100-continue before bodies over 1 KiB.
  headers = curl_slist_append(headers, "Expect:");
  for (const std::string& h : request.headers) headers = curl_slist_append(headers, h.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  if (request.method == "POST") {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  }

  CURLcode rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  r.truncated = sink.truncated;
  if (r.status >= 300 && r.status < 400) {
    char* location = nullptr;
    if (curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location) {
      r.redirect_url = Printable(location, 200);
    }
  }
  std::string detail = Printable(errbuf[0] ? errbuf : curl_easy_strerror(rc), 200);
  while (!detail.empty() && detail.back() == ' ') detail.pop_back();
  std::string after_status = r.status ? " (after HTTP " + std::to_string(r.status) + ")" : "";
  switch (rc) {
    case CURLE_OK:
      break;
    case CURLE_WRITE_ERROR:
      if (!sink.truncated) Fail(&r, TransportFailure::kBroken, detail);
      break;
    case CURLE_OPERATION_TIMEDOUT: {
      curl_off_t connected_us = 0;
      curl_easy_getinfo(c, CURLINFO_CONNECT_TIME_T, &connected_us);
      if (connected_us == 0 && request.connect_timeout < request.timeout) {
        Fail(&r, TransportFailure::kTimeout,
             "connect timeout after " + FormatDuration(request.connect_timeout));
      } else {
        Fail(&r, TransportFailure::kTimeout, "timeout after " + FormatDuration(request.timeout));
      }
      break;
    }
    case CURLE_COULDNT_CONNECT: {
      long os_errno = 0;
      curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
      Fail(&r, TransportFailure::kConnect, ConnectError(os_errno));
      break;
    }
    case CURLE_COULDNT_RESOLVE_HOST: {
      std::string_view host = detail;
      if (host.rfind("Could not resolve host: ", 0) == 0) host.remove_prefix(24);
      Fail(&r, TransportFailure::kConnect, "cannot resolve host " + std::string(host));
      break;
    }
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_USE_SSL_FAILED:
      Fail(&r, TransportFailure::kTls, "TLS: " + detail);
      break;
    case CURLE_GOT_NOTHING:
      Fail(&r, TransportFailure::kBroken, "connection closed before a response");
      break;
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
      Fail(&r, TransportFailure::kBroken, "connection closed mid-response" + after_status);
      break;
    case CURLE_SEND_ERROR:
      Fail(&r, TransportFailure::kBroken, "connection closed while sending the request");
      break;
    case CURLE_URL_MALFORMAT:
      Fail(&r, TransportFailure::kBadRequest, "bad URL: " + detail);
      break;
    default:  // e.g. CURLE_UNSUPPORTED_PROTOCOL for an HTTP/0.9 reply (no status line)
      Fail(&r, TransportFailure::kBroken, "malformed response: " + detail + after_status);
      break;
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(c);
  return finish();
}

}  // namespace canaryd::rollout::internal

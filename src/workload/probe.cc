#include "workload/probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "workload/container_log.h"

namespace canaryd::workload {

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr size_t kMaxStatusLine = 4096;

// Go spells errno texts in lower case ("connection refused"); glibc capitalises them.
std::string GoErrno(int err) {
  std::string s = strerror(err);
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z' && (s.size() < 2 || !isupper(s[1]))) {
    s[0] = static_cast<char>(s[0] - 'A' + 'a');
  }
  return s;
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

std::string HostPort(const std::string& host, int port) {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

bool Resolve(const std::string& host, int port, sockaddr_storage* addr, socklen_t* len,
             std::string* error) {
  std::memset(addr, 0, sizeof(*addr));
  auto* v4 = reinterpret_cast<sockaddr_in*>(addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(addr);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    *len = sizeof(*v4);
    return true;
  }
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    *len = sizeof(*v6);
    return true;
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0 || res == nullptr) {
    *error = "lookup " + host + ": " + gai_strerror(rc);
    return false;
  }
  std::memcpy(addr, res->ai_addr, res->ai_addrlen);
  *len = res->ai_addrlen;
  freeaddrinfo(res);
  if (addr->ss_family == AF_INET) v4->sin_port = htons(static_cast<uint16_t>(port));
  if (addr->ss_family == AF_INET6) v6->sin6_port = htons(static_cast<uint16_t>(port));
  return true;
}

int RemainingMs(SteadyClock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(left.count());
}

// Waits for `events` on fd until the deadline; false on timeout.
bool WaitFd(int fd, short events, SteadyClock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int ms = RemainingMs(deadline);
    if (ms == 0) return false;
    int n = poll(&p, 1, ms);
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return true;  // let the next call report the error
  }
}

enum class Dial { kOk, kTimeout, kError };

// Connects a non-blocking socket; on failure sets *error to Go's "dial tcp ..." wording.
Dial Connect(const std::string& host, int port, SteadyClock::time_point deadline, Fd& sock,
             std::string* error) {
  std::string dial = "dial tcp " + HostPort(host, port) + ": ";
  if (port < 1 || port > 65535) {
    *error = dial + "invalid port";
    return Dial::kError;
  }
  sockaddr_storage addr;
  socklen_t len = 0;
  std::string lookup_error;
  if (!Resolve(host, port, &addr, &len, &lookup_error)) {
    *error = "dial tcp: " + lookup_error;
    return Dial::kError;
  }
  sock.fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (sock.fd < 0) {
    *error = dial + "socket: " + strerror(errno);
    return Dial::kError;
  }
  if (connect(sock.fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    if (errno != EINPROGRESS) {
      *error = dial + "connect: " + GoErrno(errno);
      return Dial::kError;
    }
    if (!WaitFd(sock.fd, POLLOUT, deadline)) {
      *error = dial + "i/o timeout";
      return Dial::kTimeout;
    }
    int err = 0;
    socklen_t errlen = sizeof(err);
    getsockopt(sock.fd, SOL_SOCKET, SO_ERROR, &err, &errlen);
    if (err != 0) {
      *error = dial + "connect: " + GoErrno(err);
      return Dial::kError;
    }
  }
  return Dial::kOk;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return s;
}

bool SafeHeaderText(const std::string& s) {
  return s.find_first_of("\r\n") == std::string::npos && s.find('\0') == std::string::npos;
}

// Printable, short form of bytes from the peer for a message.
std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 64)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  return out;
}

}  // namespace

ProbeOutcome TcpSocket(const std::string& host, int port, std::chrono::milliseconds timeout) {
  Fd sock;
  std::string error;
  if (Connect(host, port, SteadyClock::now() + timeout, sock, &error) != Dial::kOk) {
    return {false, error};
  }
  return {true, ""};
}

ProbeOutcome HttpGet(const std::string& host, int port, const std::string& path,
                     const HttpHeaders& headers, std::chrono::milliseconds timeout) {
  auto deadline = SteadyClock::now() + timeout;
  std::string target = path.empty() || path[0] != '/' ? "/" + path : path;
  std::string url = "http://" + HostPort(host, port) + target;
  std::string get = "Get \"" + url + "\": ";
  std::string timed_out = get +
                          "context deadline exceeded (Client.Timeout exceeded while "
                          "awaiting headers)";
  if (!SafeHeaderText(target) || target.find(' ') != std::string::npos) {
    return {false, get + "invalid path"};
  }

  HttpHeaders all = {{"Host", HostPort(host, port)},
                     {"User-Agent", "kube-probe/1.30"},
                     {"Accept", "*/*"},
                     {"Connection", "close"}};
  for (const auto& [name, value] : headers) {
    if (name.empty() || !SafeHeaderText(name) || !SafeHeaderText(value) ||
        name.find(':') != std::string::npos) {
      return {false, get + "invalid header \"" + Printable(name) + "\""};
    }
    bool replaced = false;
    for (auto& [n, v] : all) {
      if (Lower(n) == Lower(name)) {
        v = value;
        replaced = true;
      }
    }
    if (!replaced) all.emplace_back(name, value);
  }
  std::string request = "GET " + target + " HTTP/1.1\r\n";
  for (const auto& [n, v] : all) request += n + ": " + v + "\r\n";
  request += "\r\n";

  Fd sock;
  std::string error;
  Dial dial = Connect(host, port, deadline, sock, &error);
  if (dial == Dial::kTimeout) return {false, timed_out};
  if (dial != Dial::kOk) return {false, get + error};

  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = send(sock.fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!WaitFd(sock.fd, POLLOUT, deadline)) return {false, timed_out};
    } else {
      return {false, get + "write tcp " + HostPort(host, port) + ": " + GoErrno(errno)};
    }
  }

  // Only the status line matters; it may arrive in pieces, and the peer may send anything.
  std::string head;
  size_t eol = std::string::npos;
  while ((eol = head.find('\n')) == std::string::npos) {
    if (head.size() >= kMaxStatusLine) {
      return {false, get + "malformed HTTP response: status line longer than 4096 bytes"};
    }
    char buf[1024];
    ssize_t n = recv(sock.fd, buf, std::min(sizeof(buf), kMaxStatusLine - head.size()), 0);
    if (n > 0) {
      head.append(buf, static_cast<size_t>(n));
    } else if (n == 0) {
      return {false, get + "EOF"};
    } else if (errno == EAGAIN || errno == EINTR) {
      if (!WaitFd(sock.fd, POLLIN, deadline)) return {false, timed_out};
    } else {
      return {false, get + "read tcp " + HostPort(host, port) + ": " + GoErrno(errno)};
    }
  }
  std::string line = head.substr(0, eol);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  // "HTTP/1.x NNN reason"
  bool ok = line.size() >= 12 && line.compare(0, 7, "HTTP/1.") == 0 && isdigit(line[7]) &&
            line[8] == ' ' && isdigit(line[9]) && isdigit(line[10]) && isdigit(line[11]) &&
            (line.size() == 12 || line[12] == ' ');
  if (!ok) return {false, get + "malformed HTTP response \"" + Printable(line) + "\""};
  int status = std::stoi(line.substr(9, 3));
  if (status >= 200 && status < 400) return {true, ""};
  return {false, "HTTP probe failed with statuscode: " + std::to_string(status)};
}

ProbeOutcome Exec(ProcessSupervisor& supervisor, const ExecProbeSpec& spec,
                  std::chrono::milliseconds timeout) {
  auto output = std::make_shared<MemorySink>(10 << 10);
  SpawnSpec s;
  s.argv = spec.argv;
  s.env = spec.env;
  s.working_dir = spec.working_dir;
  s.uid = spec.uid;
  s.gid = spec.gid;
  s.output = output;
  auto pid = supervisor.Spawn(std::move(s));
  if (!pid.ok()) return {false, pid.status().message()};
  std::optional<ExitStatus> exit = supervisor.WaitExited(*pid, timeout);
  if (!exit) {
    (void)supervisor.Signal(*pid, SIGKILL);
    (void)supervisor.WaitExited(*pid, std::chrono::seconds(5));
    supervisor.Forget(*pid);
    return {false, "command \"" + spec.argv[0] + "\" timed out after " +
                       std::to_string(timeout.count()) + "ms"};
  }
  supervisor.Forget(*pid);
  if (!exit->signaled && exit->code == 0) return {true, ""};
  std::string text = output->text();
  return {false, "command \"" + spec.argv[0] + "\" failed: " + exit->ToString() +
                     (text.empty() ? "" : ": " + text)};
}

ProbeTracker::ProbeTracker(ProbeKind kind, ProbeTiming timing, const Clock& clock)
    : kind_(kind), timing_(timing), clock_(clock) {
  if (timing_.initial_delay_seconds < 0) timing_.initial_delay_seconds = 0;
  if (timing_.period_seconds <= 0) timing_.period_seconds = 10;
  if (timing_.timeout_seconds <= 0) timing_.timeout_seconds = 1;
  if (timing_.success_threshold <= 0 || kind_ != ProbeKind::kReadiness) {
    timing_.success_threshold = 1;
  }
  if (timing_.failure_threshold <= 0) timing_.failure_threshold = 3;
  ContainerStarted();
}

void ProbeTracker::ContainerStarted() {
  started_at_ = clock_.MonotonicNanos();
  last_probe_at_.reset();
  state_ = kind_ == ProbeKind::kReadiness  ? ProbeState::kFailure
           : kind_ == ProbeKind::kLiveness ? ProbeState::kSuccess
                                           : ProbeState::kUnknown;
  last_result_ = ProbeState::kUnknown;
  run_ = 0;
  on_hold_ = false;
}

int64_t ProbeTracker::next_due() const {
  constexpr int64_t kSec = 1'000'000'000;
  int64_t first = started_at_ + timing_.initial_delay_seconds * kSec;
  if (!last_probe_at_) return first;
  return std::max(first, *last_probe_at_ + timing_.period_seconds * kSec);
}

bool ProbeTracker::active() const {
  if (on_hold_) return false;
  return !(kind_ == ProbeKind::kStartup && state_ == ProbeState::kSuccess);
}

void ProbeTracker::Record(bool success) {
  last_probe_at_ = clock_.MonotonicNanos();
  if (!active()) return;
  ProbeState result = success ? ProbeState::kSuccess : ProbeState::kFailure;
  if (result == last_result_) {
    ++run_;
  } else {
    last_result_ = result;
    run_ = 1;
  }
  if ((!success && run_ < timing_.failure_threshold) ||
      (success && run_ < timing_.success_threshold)) {
    return;
  }
  state_ = result;
  if (!success && kind_ != ProbeKind::kReadiness) {
    on_hold_ = true;
    run_ = 0;
  }
}

}  // namespace canaryd::workload

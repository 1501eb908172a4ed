// Probes as the kubelet runs them, each bounded by its timeout: HTTP GET, TCP connect, exec.
// HttpGet and TcpSocket block the calling thread for at most `timeout` (numeric addresses; a host
// name is resolved with getaddrinfo, whose time is not bounded), so call them from a worker
// thread, never an event loop; any thread may call them concurrently. Exec runs the command
// through a ProcessSupervisor (thread-safe).
//
// ProbeTracker is the pure timing part: given results and an injected clock it says when the
// next probe is due and the resulting state, as the kubelet's prober worker does. One owner thread.
// As in the kubelet, the caller probes liveness and readiness only once the startup probe (if
// any) has succeeded, and no longer probes startup after that.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "workload/process_supervisor.h"

namespace canaryd::workload {

struct ProbeOutcome {
  bool success = false;
  std::string message;  // why it failed, in the kubelet's words; empty on success
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// GET http://host:port/path with Host, `User-Agent: kube-probe/1.30`, Accept and
// `Connection: close` (a header given here replaces the default of the same name). Success when
// 200 <= status < 400 (redirects are not followed, as the kubelet counts them successes too). Only
// the status line is read, at most 4 KiB of it.
ProbeOutcome HttpGet(const std::string& host, int port, const std::string& path,
                     const HttpHeaders& headers, std::chrono::milliseconds timeout);

// Success when a TCP connection to host:port is established within the timeout.
ProbeOutcome TcpSocket(const std::string& host, int port, std::chrono::milliseconds timeout);

struct ExecProbeSpec {
  std::vector<std::string> argv;  // argv[0] absolute
  std::vector<std::string> env;   // "K=V"
  std::string working_dir = "/";
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
};

// Success when the command exits 0 within the timeout; on timeout its process group is killed.
// The failure message includes the start of its output.
ProbeOutcome Exec(ProcessSupervisor& supervisor, const ExecProbeSpec& spec,
                  std::chrono::milliseconds timeout);

enum class ProbeKind { kLiveness, kReadiness, kStartup };
enum class ProbeState { kUnknown, kSuccess, kFailure };

// The Pod's timing fields; zero or negative means the Kubernetes default.
struct ProbeTiming {
  int initial_delay_seconds = 0;
  int period_seconds = 10;
  int timeout_seconds = 1;
  int success_threshold = 1;  // forced to 1 for liveness and startup, as the API requires
  int failure_threshold = 3;
};

class ProbeTracker {
 public:
  ProbeTracker(ProbeKind kind, ProbeTiming timing, const Clock& clock);

  // The container (re)started now: the state goes back to the initial one (readiness: failure,
  // i.e. not ready; liveness: success; startup: unknown, i.e. not started) and probing resumes.
  void ContainerStarted();
  // Monotonic nanos at which the next probe is due: initialDelaySeconds after the start, then
  // periodSeconds after the previous probe.
  int64_t next_due() const;
  bool Due() const { return active() && clock_.MonotonicNanos() >= next_due(); }
  std::chrono::milliseconds timeout() const {
    return std::chrono::seconds(timing_.timeout_seconds);
  }
  // A probe finished now.
  void Record(bool success);

  ProbeState state() const { return state_; }
  bool ready() const { return state_ == ProbeState::kSuccess; }
  bool started() const { return state_ == ProbeState::kSuccess; }
  // Liveness or startup failed failureThreshold times in a row: restart the container. Probing
  // is then on hold until ContainerStarted.
  bool kill_required() const { return on_hold_; }
  // False while on hold and for a startup probe that has succeeded.
  bool active() const;
  const ProbeTiming& timing() const { return timing_; }

 private:
  ProbeKind kind_;
  ProbeTiming timing_;
  const Clock& clock_;
  int64_t started_at_ = 0;
  std::optional<int64_t> last_probe_at_;
  ProbeState state_ = ProbeState::kUnknown;
  ProbeState last_result_ = ProbeState::kUnknown;
  int run_ = 0;
  bool on_hold_ = false;
};

}  // namespace canaryd::workload

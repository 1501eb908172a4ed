// ProcessSupervisor: spawns and supervises a Pod's container processes in this multi-threaded
// program, without a container runtime.
//
// Threads: every public method is thread-safe. The supervisor owns one thread that does all the
// forking, reaping (pidfd per child; never waitpid(-1), so children of other parts of the program
// are left alone) and output reading (epoll over the children's pipes), so that:
//  - PR_SET_PDEATHSIG, which the kernel ties to the thread that forked, fires only when the
//    supervisor goes away, not when some short-lived caller thread ends;
//  - a pid is only reaped on that thread, so signalling a pid that is not yet reaped can never hit
//    a recycled pid.
// Callbacks (SpawnSpec::on_exit, OutputSink) run on that thread and must not block; they may call
// Spawn, Signal, Exited and Forget (run inline), but not WaitExited or StopAll (they would wait
// for the thread they block).
//
// Each child leads its own session and process group. Signal() and StopAll() signal the whole
// group, and when a child exits its group is SIGKILLed before it is reaped, as a container's
// processes die with its main process. Between fork and exec the child uses only
// async-signal-safe calls (everything is prepared before fork), resets its signal mask and
// dispositions, gets stdin from /dev/null and stdout+stderr (one pipe, so their order is kept)
// to the SpawnSpec's sink, closes every other descriptor, changes directory and user, and calls
// execve (never a shell, never a PATH search). A failure there is reported by Spawn as a value
// ("exec /x: No such file or directory").
//
// Leftovers: each child's pid and start time (/proc/<pid>/stat field 22) are recorded in
// `<state_dir>/<pid>.pid` while it runs. After canaryd was killed with SIGKILL, KillLeftovers at
// the next start kills what is left of those process groups (the children themselves die by
// PDEATHSIG; their own children stay in the group).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "workload/container_log.h"

namespace canaryd::workload {

struct ProcessId {
  pid_t pid = 0;
  friend bool operator==(ProcessId, ProcessId) = default;
};

struct ExitStatus {
  bool signaled = false;
  int code = 0;    // exit code when !signaled
  int signal = 0;  // terminating signal when signaled
  int64_t exited_at_mono_nanos = 0;
  int64_t exited_at_wall_nanos = 0;
  // "exit code 3" / "killed by signal 9 (Killed)".
  std::string ToString() const;
};

struct SpawnSpec {
  std::vector<std::string> argv;  // argv[0]: an absolute path
  std::vector<std::string> env;   // "K=V", the whole environment
  std::string working_dir = "/";
  std::optional<uid_t> uid;  // both or neither
  std::optional<gid_t> gid;
  std::shared_ptr<OutputSink> output;                         // null: /dev/null
  std::function<void(ProcessId, const ExitStatus&)> on_exit;  // on the supervisor thread
};

struct SupervisorOptions {
  std::string state_dir;  // where the leftover records go; empty: none
  const Clock* clock = &SystemClock::Instance();
};

struct LeftoverReport {
  int killed = 0;   // records whose process (or process group) was still there
  int ignored = 0;  // records whose pid now belongs to another process, or unreadable
};

class ProcessSupervisor {
 public:
  static Result<std::unique_ptr<ProcessSupervisor>> Create(SupervisorOptions options = {});
  // StopAll with no grace (SIGKILL) if it has not been called, then ends the thread.
  ~ProcessSupervisor();
  ProcessSupervisor(const ProcessSupervisor&) = delete;
  ProcessSupervisor& operator=(const ProcessSupervisor&) = delete;

  Result<ProcessId> Spawn(SpawnSpec spec);
  // Signals the process group of a running child; kNotFound when it has exited.
  Status Signal(ProcessId id, int sig);
  // The exit of a child, once it has been reaped and its output drained; kept until Forget.
  std::optional<ExitStatus> Exited(ProcessId id) const;
  std::optional<ExitStatus> WaitExited(ProcessId id, std::chrono::milliseconds timeout) const;
  void Forget(ProcessId id);
  size_t running() const;
  // Shutdown: SIGTERM to every group, up to `grace` for them to exit, then SIGKILL, and reap all.
  // Spawn is refused afterwards.
  void StopAll(std::chrono::milliseconds grace);

  // At startup, before spawning: for every record in `state_dir` whose process still has the
  // recorded start time, SIGKILL its process group; when the process is gone, SIGKILL the group
  // anyway (its pid cannot have been reused while its group has members). Every record is removed.
  static Result<LeftoverReport> KillLeftovers(const std::string& state_dir);
  // Field 22 of /proc/<pid>/stat (clock ticks since boot); kNotFound when there is no such process.
  static Result<uint64_t> ProcessStartTime(pid_t pid);

 private:
  struct Child;
  explicit ProcessSupervisor(SupervisorOptions options);
  Status Start();
  void Loop();
  // Runs `task` on the supervisor thread and waits for it (inline when already on it).
  void Call(const std::function<void()>& task);
  Result<ProcessId> SpawnOnThread(SpawnSpec& spec);
  void OnChildExit(pid_t pid);
  void DrainOutput(Child& child, bool to_eof);
  void CloseOutput(Child& child);
  void SignalAllOnThread(int sig);

  SupervisorOptions options_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::thread thread_;
  std::thread::id thread_id_;

  // Owned by the supervisor thread.
  std::map<pid_t, std::unique_ptr<Child>> children_;
  std::map<int, pid_t> fd_owner_;  // pidfd or output fd -> child

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  std::map<pid_t, ExitStatus> exited_;
  size_t running_ = 0;
  bool stopping_ = false;
  bool stopped_ = false;
  bool quit_ = false;
};

}  // namespace canaryd::workload

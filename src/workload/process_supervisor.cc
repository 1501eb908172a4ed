#include "workload/process_supervisor.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <future>
#include <sstream>

namespace canaryd::workload {

namespace {

Status Errno(const std::string& what, int err = errno) {
  return Internal(what + ": " + strerror(err));
}

// What the child reports through the error pipe when a step before exec fails.
enum ChildStage : int {
  kSetsid = 1,
  kPdeathsig,
  kDup,
  kChdir,
  kSetgroups,
  kSetgid,
  kSetuid,
  kExec
};
struct ChildError {
  int stage;
  int err;
};

[[noreturn]] void ChildFail(int fd, int stage) {
  ChildError e{stage, errno};
  ssize_t ignored = write(fd, &e, sizeof(e));
  (void)ignored;
  _exit(127);
}

// Moves fd to a number >= 3 (keeping O_CLOEXEC), so that setting up 0..2 in the child cannot
// overwrite it.
int AboveStdio(int fd) {
  if (fd < 0 || fd >= 3) return fd;
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  close(fd);
  return moved;
}

void CloseFrom(int first, int last_or_max, int fallback_max) {
  if (first > last_or_max) return;
  if (syscall(SYS_close_range, static_cast<unsigned>(first), static_cast<unsigned>(last_or_max),
              0u) == 0) {
    return;
  }
  int end = std::min(last_or_max, fallback_max);
  for (int fd = first; fd <= end; ++fd) close(fd);
}

int PidfdOpen(pid_t pid) {
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0u));
}

std::string RecordPath(const std::string& dir, pid_t pid) {
  return dir + "/" + std::to_string(pid) + ".pid";
}

// Field `index` (1-based, as proc(5) numbers them) of /proc/<pid>/stat, and the state (field 3).
Result<std::pair<uint64_t, char>> StatField(pid_t pid, int index) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!in || !std::getline(in, line)) return NotFound("no process " + std::to_string(pid));
  // The command name (field 2) is in parentheses and may contain spaces or ')'.
  size_t close = line.rfind(')');
  if (close == std::string::npos) return Internal("unreadable /proc stat");
  std::istringstream rest(line.substr(close + 1));
  std::string field;
  char state = '?';
  for (int i = 3; i <= index; ++i) {
    if (!(rest >> field)) return Internal("short /proc stat");
    if (i == 3) state = field.empty() ? '?' : field[0];
  }
  return std::make_pair(static_cast<uint64_t>(strtoull(field.c_str(), nullptr, 10)), state);
}

}  // namespace

std::string ExitStatus::ToString() const {
  if (!signaled) return "exit code " + std::to_string(code);
  const char* name = sigdescr_np(signal);
  return "killed by signal " + std::to_string(signal) + " (" + (name ? name : "unknown") + ")";
}

struct ProcessSupervisor::Child {
  pid_t pid = 0;
  int pidfd = -1;
  int out_fd = -1;
  std::shared_ptr<OutputSink> sink;
  std::function<void(ProcessId, const ExitStatus&)> on_exit;
  std::string record_path;
};

Result<uint64_t> ProcessSupervisor::ProcessStartTime(pid_t pid) {
  auto f = StatField(pid, 22);
  if (!f.ok()) return f.status();
  return f->first;
}

Result<std::unique_ptr<ProcessSupervisor>> ProcessSupervisor::Create(SupervisorOptions options) {
  std::unique_ptr<ProcessSupervisor> s(new ProcessSupervisor(std::move(options)));
  if (Status st = s->Start(); !st.ok()) return st;
  return s;
}

ProcessSupervisor::ProcessSupervisor(SupervisorOptions options) : options_(std::move(options)) {
  if (options_.clock == nullptr) options_.clock = &SystemClock::Instance();
}

Status ProcessSupervisor::Start() {
  if (!options_.state_dir.empty() && mkdir(options_.state_dir.c_str(), 0700) != 0 &&
      errno != EEXIST) {
    return Errno("create state directory " + options_.state_dir);
  }
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return Errno("epoll_create1");
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) return Errno("eventfd");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_fd_;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) return Errno("epoll_ctl");
  std::promise<void> started;
  thread_ = std::thread([this, &started] {
    thread_id_ = std::this_thread::get_id();
    started.set_value();
    Loop();
  });
  started.get_future().wait();
  return Status::Ok();
}

ProcessSupervisor::~ProcessSupervisor() {
  if (thread_.joinable()) {
    StopAll(std::chrono::milliseconds(0));
    {
      std::lock_guard<std::mutex> lock(mu_);
      quit_ = true;
    }
    uint64_t one = 1;
    ssize_t ignored = write(wake_fd_, &one, sizeof(one));
    (void)ignored;
    thread_.join();
  }
  for (auto& [pid, child] : children_) {
    if (child->pidfd >= 0) close(child->pidfd);
    if (child->out_fd >= 0) close(child->out_fd);
  }
  if (wake_fd_ >= 0) close(wake_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

void ProcessSupervisor::Call(const std::function<void()>& task) {
  if (std::this_thread::get_id() == thread_id_) {
    task();
    return;
  }
  std::promise<void> done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.push_back([&] {
      task();
      done.set_value();
    });
  }
  uint64_t one = 1;
  ssize_t ignored = write(wake_fd_, &one, sizeof(one));
  (void)ignored;
  done.get_future().wait();
}

void ProcessSupervisor::Loop() {
  epoll_event events[32];
  for (;;) {
    int n = epoll_wait(epoll_fd_, events, 32, -1);
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == wake_fd_) {
        uint64_t v;
        ssize_t ignored = read(wake_fd_, &v, sizeof(v));
        (void)ignored;
        continue;
      }
      auto owner = fd_owner_.find(fd);
      if (owner == fd_owner_.end()) continue;  // closed by an earlier event of this batch
      auto it = children_.find(owner->second);
      if (it == children_.end()) continue;
      if (fd == it->second->pidfd) {
        OnChildExit(owner->second);
      } else {
        DrainOutput(*it->second, false);
      }
    }
    std::deque<std::function<void()>> tasks;
    {
      std::lock_guard<std::mutex> lock(mu_);
      tasks.swap(tasks_);
      if (quit_ && tasks.empty()) return;
    }
    for (auto& t : tasks) t();
  }
}

Result<ProcessId> ProcessSupervisor::Spawn(SpawnSpec spec) {
  std::optional<Result<ProcessId>> result;
  Call([&] { result.emplace(SpawnOnThread(spec)); });
  return std::move(*result);
}

Result<ProcessId> ProcessSupervisor::SpawnOnThread(SpawnSpec& spec) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return FailedPrecondition("the process supervisor is shutting down");
  }
  if (spec.argv.empty() || spec.argv[0].empty() || spec.argv[0][0] != '/') {
    return InvalidArgument("argv[0] must be an absolute path");
  }
  if (spec.uid.has_value() != spec.gid.has_value()) {
    return InvalidArgument("uid and gid must be given together");
  }
  if (spec.working_dir.empty()) spec.working_dir = "/";

  // Everything the child needs, prepared before fork: after it only async-signal-safe calls.
  std::vector<char*> argv, envp;
  for (std::string& a : spec.argv) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (std::string& e : spec.env) envp.push_back(e.data());
  envp.push_back(nullptr);
  const char* dir = spec.working_dir.c_str();
  uid_t uid = spec.uid.value_or(0);
  gid_t gid = spec.gid.value_or(0);
  bool change_user = spec.uid.has_value();
  struct rlimit rl {};
  int max_fd =
      getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (1u << 20)
          ? static_cast<int>(rl.rlim_cur)
          : 65536;

  int null_fd = AboveStdio(open("/dev/null", O_RDWR | O_CLOEXEC));
  if (null_fd < 0) return Errno("open /dev/null");
  int out[2] = {-1, -1};
  if (spec.output && pipe2(out, O_CLOEXEC) != 0) {
    Status st = Errno("pipe");
    close(null_fd);
    return st;
  }
  out[0] = AboveStdio(out[0]);
  out[1] = AboveStdio(out[1]);
  int err[2] = {-1, -1};
  if (pipe2(err, O_CLOEXEC) != 0) {
    Status st = Errno("pipe");
    close(null_fd);
    if (out[0] >= 0) close(out[0]), close(out[1]);
    return st;
  }
  err[0] = AboveStdio(err[0]);
  err[1] = AboveStdio(err[1]);
  int out_w = spec.output ? out[1] : null_fd;
  int err_w = err[1];
  pid_t parent = getpid();

  pid_t pid = fork();
  if (pid == 0) {
    if (setsid() < 0) ChildFail(err_w, kSetsid);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) ChildFail(err_w, kPdeathsig);
    if (getppid() != parent) _exit(127);  // the supervisor is already gone
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) {
      if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, nullptr);
    }
    if (dup2(null_fd, 0) < 0 || dup2(out_w, 1) < 0 || dup2(out_w, 2) < 0) ChildFail(err_w, kDup);
    CloseFrom(3, err_w - 1, max_fd);
    CloseFrom(err_w + 1, ~0U >> 1, max_fd);
    if (chdir(dir) != 0) ChildFail(err_w, kChdir);
    if (change_user) {
      // Raw system calls: glibc's wrappers would try to reach the parent's other threads.
      if (syscall(SYS_setgroups, 0, nullptr) != 0) ChildFail(err_w, kSetgroups);
      if (syscall(SYS_setresgid, gid, gid, gid) != 0) ChildFail(err_w, kSetgid);
      if (syscall(SYS_setresuid, uid, uid, uid) != 0) ChildFail(err_w, kSetuid);
      // A change of credentials clears the parent-death signal: set it again, and check again
      // that the parent did not go in between.
      if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) ChildFail(err_w, kPdeathsig);
      if (getppid() != parent) _exit(127);
    }
    // No set-user-ID program may give the process back what it was given up.
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ChildFail(err_w, kPdeathsig);
    execve(argv[0], argv.data(), envp.data());
    ChildFail(err_w, kExec);
  }
  int fork_errno = errno;
  close(null_fd);
  if (out[1] >= 0) close(out[1]);
  close(err[1]);
  if (pid < 0) {
    close(err[0]);
    if (out[0] >= 0) close(out[0]);
    return Errno("fork", fork_errno);
  }

  ChildError child_error{};
  ssize_t got;
  do {
    got = read(err[0], &child_error, sizeof(child_error));
  } while (got < 0 && errno == EINTR);
  close(err[0]);
  if (got > 0) {
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (out[0] >= 0) close(out[0]);
    std::string what;
    switch (child_error.stage) {
      case kSetsid:
        what = "setsid";
        break;
      case kPdeathsig:
        what = "prctl(PR_SET_PDEATHSIG)";
        break;
      case kDup:
        what = "dup2";
        break;
      case kChdir:
        what = "chdir " + spec.working_dir;
        break;
      case kSetgroups:
        what = "setgroups";
        break;
      case kSetgid:
        what = "setgid " + std::to_string(gid);
        break;
      case kSetuid:
        what = "setuid " + std::to_string(uid);
        break;
      default:
        what = "exec " + spec.argv[0];
        break;
    }
    return FailedPrecondition(what + ": " + strerror(child_error.err));
  }

  auto child = std::make_unique<Child>();
  child->pid = pid;
  child->pidfd = PidfdOpen(pid);
  if (child->pidfd < 0) {
    Status st = Errno("pidfd_open");
    kill(-pid, SIGKILL);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (out[0] >= 0) close(out[0]);
    return st;
  }
  child->out_fd = out[0];
  child->sink = std::move(spec.output);
  child->on_exit = std::move(spec.on_exit);

  if (!options_.state_dir.empty()) {
    auto start = ProcessStartTime(pid);
    if (start.ok()) {
      child->record_path = RecordPath(options_.state_dir, pid);
      std::string tmp = child->record_path + ".tmp";
      {
        std::ofstream f(tmp, std::ios::trunc);
        f << pid << " " << *start << "\n";
      }
      if (rename(tmp.c_str(), child->record_path.c_str()) != 0) child->record_path.clear();
    }
  }

  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = child->pidfd;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, child->pidfd, &ev);
  fd_owner_[child->pidfd] = pid;
  if (child->out_fd >= 0) {
    fcntl(child->out_fd, F_SETFL, fcntl(child->out_fd, F_GETFL) | O_NONBLOCK);
    ev.data.fd = child->out_fd;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, child->out_fd, &ev);
    fd_owner_[child->out_fd] = pid;
  }
  children_[pid] = std::move(child);
  {
    std::lock_guard<std::mutex> lock(mu_);
    exited_.erase(pid);
    ++running_;
  }
  return ProcessId{pid};
}

void ProcessSupervisor::DrainOutput(Child& child, bool to_eof) {
  char buf[65536];
  // Bounded per wake-up so that one chatty child does not starve the others.
  for (int rounds = 0; child.out_fd >= 0 && (to_eof || rounds < 16); ++rounds) {
    ssize_t n = read(child.out_fd, buf, sizeof(buf));
    if (n > 0) {
      child.sink->Write(std::string_view(buf, static_cast<size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN && !to_eof) return;
    // EOF, an error, or (when draining at exit) nothing more buffered.
    CloseOutput(child);
  }
}

void ProcessSupervisor::CloseOutput(Child& child) {
  if (child.out_fd < 0) return;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, child.out_fd, nullptr);
  fd_owner_.erase(child.out_fd);
  close(child.out_fd);
  child.out_fd = -1;
  child.sink->Close();
}

void ProcessSupervisor::OnChildExit(pid_t pid) {
  auto it = children_.find(pid);
  if (it == children_.end()) return;
  Child& child = *it->second;
  // The exited child is a zombie until reaped, so its pid (and group id) cannot be reused yet:
  // kill what is left of its group first.
  kill(-pid, SIGKILL);
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return;  // not exited after all
  // Whatever the group wrote before it died is in the pipe: take it before reporting the exit.
  DrainOutput(child, true);
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, child.pidfd, nullptr);
  fd_owner_.erase(child.pidfd);
  close(child.pidfd);
  if (!child.record_path.empty()) unlink(child.record_path.c_str());

  ExitStatus e;
  if (r > 0 && WIFSIGNALED(status)) {
    e.signaled = true;
    e.signal = WTERMSIG(status);
  } else if (r > 0) {
    e.code = WEXITSTATUS(status);
  } else {
    e.code = -1;  // reaped by someone else in the program: the status is lost
  }
  e.exited_at_mono_nanos = options_.clock->MonotonicNanos();
  e.exited_at_wall_nanos = options_.clock->WallNanos();
  auto on_exit = std::move(child.on_exit);
  children_.erase(it);
  {
    std::lock_guard<std::mutex> lock(mu_);
    exited_[pid] = e;
    --running_;
  }
  cv_.notify_all();
  if (on_exit) on_exit(ProcessId{pid}, e);
}

Status ProcessSupervisor::Signal(ProcessId id, int sig) {
  Status result;
  Call([&] {
    if (children_.find(id.pid) == children_.end()) {
      result = NotFound("process " + std::to_string(id.pid) + " is not running");
      return;
    }
    if (kill(-id.pid, sig) != 0 && kill(id.pid, sig) != 0) {
      result = Errno("kill " + std::to_string(id.pid));
    }
  });
  return result;
}

std::optional<ExitStatus> ProcessSupervisor::Exited(ProcessId id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = exited_.find(id.pid);
  if (it == exited_.end()) return std::nullopt;
  return it->second;
}

std::optional<ExitStatus> ProcessSupervisor::WaitExited(ProcessId id,
                                                        std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return exited_.count(id.pid) > 0; });
  auto it = exited_.find(id.pid);
  if (it == exited_.end()) return std::nullopt;
  return it->second;
}

void ProcessSupervisor::Forget(ProcessId id) {
  std::lock_guard<std::mutex> lock(mu_);
  exited_.erase(id.pid);
}

size_t ProcessSupervisor::running() const {
  std::lock_guard<std::mutex> lock(mu_);
  return running_;
}

void ProcessSupervisor::SignalAllOnThread(int sig) {
  for (auto& [pid, child] : children_) kill(-pid, sig);
}

void ProcessSupervisor::StopAll(std::chrono::milliseconds grace) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopping_ = true;
  }
  if (grace.count() > 0) {
    Call([this] { SignalAllOnThread(SIGTERM); });
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, grace, [&] { return running_ == 0; });
  }
  Call([this] { SignalAllOnThread(SIGKILL); });
  std::unique_lock<std::mutex> lock(mu_);
  // SIGKILL cannot be ignored; the bound only guards against a child stuck in the kernel (D).
  cv_.wait_for(lock, std::chrono::seconds(10), [&] { return running_ == 0; });
  stopped_ = true;
}

Result<LeftoverReport> ProcessSupervisor::KillLeftovers(const std::string& state_dir) {
  LeftoverReport report;
  DIR* d = opendir(state_dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return report;
    return Errno("open state directory " + state_dir);
  }
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".pid") == 0) names.push_back(name);
  }
  closedir(d);
  for (const std::string& name : names) {
    std::string path = state_dir + "/" + name;
    std::ifstream in(path);
    long long pid = 0;
    unsigned long long start = 0;
    if (!(in >> pid >> start) || pid <= 1) {
      ++report.ignored;
    } else {
      auto now = ProcessStartTime(static_cast<pid_t>(pid));
      if (now.ok() && *now == start) {
        kill(static_cast<pid_t>(-pid), SIGKILL);
        kill(static_cast<pid_t>(pid), SIGKILL);
        ++report.killed;
      } else if (!now.ok() && now.status().code() == StatusCode::kNotFound) {
        // The leader is gone; members of its group may be left. While any is, no new process
        // can have been given this pid, so the group is still ours.
        if (kill(static_cast<pid_t>(-pid), SIGKILL) == 0) {
          ++report.killed;
        } else {
          ++report.ignored;
        }
      } else {
        ++report.ignored;
      }
    }
    unlink(path.c_str());
  }
  return report;
}

}  // namespace canaryd::workload

#include "workload/process_supervisor.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace canaryd::workload {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kWait(10000);  // bound of every wait: generous for a loaded CI machine

std::unique_ptr<ProcessSupervisor> NewSupervisor(std::string state_dir = "") {
  auto s = ProcessSupervisor::Create(SupervisorOptions{std::move(state_dir)});
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(*s) : nullptr;
}

SpawnSpec Spec(std::vector<std::string> argv, std::shared_ptr<OutputSink> out = nullptr) {
  SpawnSpec s;
  s.argv = std::move(argv);
  s.env = {"PATH=/usr/bin:/bin"};
  s.output = std::move(out);
  return s;
}

// Waits until `pred` holds, at most kWait.
template <class Pred>
bool WaitFor(Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + kWait;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

// Gone, or a zombie nobody has reaped yet (the test's pid 1 may not reap adopted children).
bool Dead(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!in || !std::getline(in, line)) return true;
  size_t close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() &&
         (line[close + 2] == 'Z' || line[close + 2] == 'X');
}

bool IsSleep(pid_t pid) {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec);
  return !ec && exe.filename().string().find("sleep") != std::string::npos;
}

// Whether `pid` runs sleep and is asleep in it: past the dynamic loader, which opens (and
// closes again) the libraries it maps after exec.
bool IsAsleepInSleep(pid_t pid) {
  if (!IsSleep(pid)) return false;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'S';
}

std::string TempDir(const std::string& name) {
  std::string dir = testing::TempDir() + "/supervisor_" + name + "_" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(ProcessSupervisor, ReportsExitCodes) {
  auto s = NewSupervisor();
  auto t = s->Spawn(Spec({"/bin/true"}));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  auto f = s->Spawn(Spec({"/bin/false"}));
  auto seven = s->Spawn(Spec({"/bin/sh", "-c", "exit 7"}));
  ASSERT_TRUE(f.ok() && seven.ok());
  auto e = s->WaitExited(*t, kWait);
  ASSERT_TRUE(e.has_value());
  EXPECT_FALSE(e->signaled);
  EXPECT_EQ(e->code, 0);
  EXPECT_GT(e->exited_at_wall_nanos, 0);
  EXPECT_EQ(s->WaitExited(*f, kWait)->code, 1);
  EXPECT_EQ(s->WaitExited(*seven, kWait)->code, 7);
  EXPECT_EQ(s->WaitExited(*seven, kWait)->ToString(), "exit code 7");
  EXPECT_EQ(s->running(), 0u);
  s->Forget(*seven);
  EXPECT_FALSE(s->Exited(*seven).has_value());
}

TEST(ProcessSupervisor, SignalsAndExitCallback) {
  auto s = NewSupervisor();
  std::atomic<int> called{0};
  std::atomic<int> signal_seen{0};
  SpawnSpec spec = Spec({"/bin/sleep", "30"});
  spec.on_exit = [&](ProcessId, const ExitStatus& e) {
    signal_seen = e.signal;
    ++called;
  };
  auto p = s->Spawn(std::move(spec));
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(s->Exited(*p).has_value());
  EXPECT_EQ(s->running(), 1u);
  ASSERT_TRUE(s->Signal(*p, SIGKILL).ok());
  auto e = s->WaitExited(*p, kWait);
  ASSERT_TRUE(e.has_value());
  EXPECT_TRUE(e->signaled);
  EXPECT_EQ(e->signal, SIGKILL);
  EXPECT_EQ(e->ToString(), "killed by signal 9 (Killed)");
  ASSERT_TRUE(WaitFor([&] { return called == 1; }));
  EXPECT_EQ(signal_seen, SIGKILL);
  EXPECT_EQ(s->Signal(*p, SIGTERM).code(), StatusCode::kNotFound);
}

TEST(ProcessSupervisor, ExecFailureIsAValue) {
  auto s = NewSupervisor();
  auto p = s->Spawn(Spec({"/nonexistent/app", "--x"}));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), "exec /nonexistent/app: No such file or directory");
  std::string not_executable = TempDir("exec") + "/data.txt";
  std::ofstream(not_executable) << "not a program\n";
  chmod(not_executable.c_str(), 0644);
  p = s->Spawn(Spec({not_executable}));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), "exec " + not_executable + ": Permission denied");
  SpawnSpec spec = Spec({"/bin/true"});
  spec.working_dir = "/nonexistent-dir";
  p = s->Spawn(spec);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), "chdir /nonexistent-dir: No such file or directory");
  EXPECT_FALSE(s->Spawn(Spec({"true"})).ok());  // no PATH search
  EXPECT_FALSE(s->Spawn(Spec({})).ok());
  EXPECT_EQ(s->running(), 0u);
}

TEST(ProcessSupervisor, NoInheritedDescriptors) {
  int leaked = open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
  ASSERT_GE(leaked, 3);
  int leaked_pipe[2];
  ASSERT_EQ(pipe(leaked_pipe), 0);
  auto s = NewSupervisor();
  auto sink = std::make_shared<MemorySink>();
  auto p = s->Spawn(Spec({"/bin/sleep", "30"}, sink));
  ASSERT_TRUE(p.ok());
  std::set<std::string> fds;
  std::string dir = "/proc/" + std::to_string(p->pid) + "/fd";
  // The fd table is the child's own once it has exec'd, and sleep's own once the dynamic loader
  // is done (it opens the libraries as fd 3): wait for sleep to be asleep.
  ASSERT_TRUE(WaitFor([&] { return IsAsleepInSleep(p->pid); }));
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    fds.insert(e.path().filename().string());
  }
  EXPECT_EQ(fds, (std::set<std::string>{"0", "1", "2"}));
  EXPECT_EQ(std::filesystem::read_symlink(dir + "/0").string(), "/dev/null");
  EXPECT_EQ(std::filesystem::read_symlink(dir + "/1").string().rfind("pipe:", 0), 0u);
  EXPECT_EQ(std::filesystem::read_symlink(dir + "/1"), std::filesystem::read_symlink(dir + "/2"));
  ASSERT_TRUE(s->Signal(*p, SIGKILL).ok());
  EXPECT_TRUE(s->WaitExited(*p, kWait).has_value());
  close(leaked);
  close(leaked_pipe[0]);
  close(leaked_pipe[1]);
}

TEST(ProcessSupervisor, CleanEnvironmentAndWorkingDir) {
  setenv("CANARYD_TEST_SECRET", "leak", 1);
  auto s = NewSupervisor();
  auto sink = std::make_shared<MemorySink>();
  SpawnSpec spec = Spec({"/usr/bin/env"}, sink);
  spec.env = {"A=1", "B=two words"};
  auto p = s->Spawn(std::move(spec));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_TRUE(s->WaitExited(*p, kWait).has_value());
  EXPECT_EQ(sink->text(), "A=1\nB=two words\n");
  EXPECT_TRUE(sink->closed());

  auto pwd = std::make_shared<MemorySink>();
  spec = Spec({"/bin/pwd"}, pwd);
  spec.working_dir = "/tmp";
  p = s->Spawn(std::move(spec));
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(s->WaitExited(*p, kWait).has_value());
  EXPECT_EQ(pwd->text(), "/tmp\n");
}

TEST(ProcessSupervisor, SignalDispositionsAndMaskAreReset) {
  // The supervisor's thread inherits whatever this thread blocks or ignores.
  signal(SIGPIPE, SIG_IGN);
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &block, nullptr);
  auto s = NewSupervisor();
  pthread_sigmask(SIG_UNBLOCK, &block, nullptr);
  auto sink = std::make_shared<MemorySink>();
  auto p = s->Spawn(Spec({"/bin/grep", "-E", "^(SigBlk|SigIgn)", "/proc/self/status"}, sink));
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(s->WaitExited(*p, kWait).has_value());
  EXPECT_EQ(sink->text(), "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
  signal(SIGPIPE, SIG_DFL);
}

TEST(ProcessSupervisor, OutputBothStreamsInOrder) {
  auto s = NewSupervisor();
  auto sink = std::make_shared<MemorySink>();
  auto p = s->Spawn(
      Spec({"/bin/sh", "-c", "echo out1; echo err1 >&2; echo out2; printf partial"}, sink));
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(s->WaitExited(*p, kWait).has_value());
  EXPECT_EQ(sink->text(), "out1\nerr1\nout2\npartial");
}

TEST(ProcessSupervisor, SignalReachesTheWholeGroup) {
  auto s = NewSupervisor();
  auto sink = std::make_shared<MemorySink>();
  // The shell survives SIGTERM (trap) and waits for its child: it exits only if the sleep got
  // the signal too.
  auto p = s->Spawn(Spec(
      {"/bin/sh", "-c", "trap 'echo got-term' TERM; /bin/sleep 30 & echo $!; wait; wait"}, sink));
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(WaitFor([&] { return sink->text().find('\n') != std::string::npos; }));
  pid_t sleeper = std::stoi(sink->text());
  // Until the background child has exec'd sleep it still runs the shell's trap.
  ASSERT_TRUE(WaitFor([&] { return IsSleep(sleeper); }));
  ASSERT_TRUE(s->Signal(*p, SIGTERM).ok());
  auto e = s->WaitExited(*p, kWait);
  ASSERT_TRUE(e.has_value()) << "the grandchild did not get SIGTERM";
  EXPECT_NE(sink->text().find("got-term"), std::string::npos);
}

TEST(ProcessSupervisor, GrandchildrenDieWithTheMainProcess) {
  auto s = NewSupervisor();
  auto sink = std::make_shared<MemorySink>();
  auto p = s->Spawn(Spec({"/bin/sh", "-c", "/bin/sleep 30 & echo $!"}, sink));
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(s->WaitExited(*p, kWait).has_value());
  pid_t grandchild = std::stoi(sink->text());
  EXPECT_TRUE(WaitFor([&] { return Dead(grandchild); }));
}

TEST(ProcessSupervisor, StopAllEscalatesToSigkill) {
  auto s = NewSupervisor();
  auto sink = std::make_shared<MemorySink>();
  auto stubborn = s->Spawn(Spec({"/bin/sh", "-c", "trap '' TERM; echo ready; sleep 30"}, sink));
  auto polite = s->Spawn(Spec({"/bin/sleep", "30"}));
  ASSERT_TRUE(stubborn.ok() && polite.ok());
  ASSERT_TRUE(WaitFor([&] { return sink->text() == "ready\n"; }));
  auto start = std::chrono::steady_clock::now();
  s->StopAll(milliseconds(300));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, milliseconds(300));
  EXPECT_LT(took, kWait);
  auto e = s->Exited(*stubborn);
  ASSERT_TRUE(e.has_value());
  EXPECT_TRUE(e->signaled);
  EXPECT_EQ(e->signal, SIGKILL);
  ASSERT_TRUE(s->Exited(*polite).has_value());
  EXPECT_EQ(s->Exited(*polite)->signal, SIGTERM);
  EXPECT_EQ(s->running(), 0u);
  EXPECT_EQ(s->Spawn(Spec({"/bin/true"})).status().code(), StatusCode::kFailedPrecondition);
}

TEST(ProcessSupervisor, DestructorKillsChildren) {
  pid_t pid;
  {
    auto s = NewSupervisor();
    auto p = s->Spawn(Spec({"/bin/sleep", "30"}));
    ASSERT_TRUE(p.ok());
    pid = p->pid;
  }
  EXPECT_TRUE(Dead(pid));
}

TEST(ProcessSupervisor, SpawnFromManyThreads) {
  auto s = NewSupervisor();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        auto p = s->Spawn(Spec({"/bin/sh", "-c", "exit 3"}));
        if (p.ok() && s->WaitExited(*p, kWait).value_or(ExitStatus{}).code == 3) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 20);
}

TEST(ProcessSupervisor, ChangesUserWhenRoot) {
  if (geteuid() != 0) GTEST_SKIP() << "changing user needs root";
  auto s = NewSupervisor();
  auto sink = std::make_shared<MemorySink>();
  SpawnSpec spec = Spec({"/bin/sh", "-c", "id -u; id -g; id -G"}, sink);
  spec.uid = 65534;
  spec.gid = 65534;
  auto p = s->Spawn(std::move(spec));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_TRUE(s->WaitExited(*p, kWait).has_value());
  EXPECT_EQ(sink->text(), "65534\n65534\n65534\n");  // no supplementary group left
}

TEST(ProcessSupervisor, UserChangeFailureIsAValueWhenNotRoot) {
  if (geteuid() == 0) GTEST_SKIP() << "needs a non-root user (as root the change succeeds)";
  auto s = NewSupervisor();
  SpawnSpec spec = Spec({"/bin/true"});
  spec.uid = 0;
  spec.gid = 0;
  auto p = s->Spawn(std::move(spec));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), "setgroups: Operation not permitted");
}

std::set<std::string> Records(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    out.insert(e.path().filename().string());
  }
  return out;
}

TEST(ProcessSupervisor, RecordsRunningChildren) {
  std::string dir = TempDir("records");
  auto s = NewSupervisor(dir);
  auto p = s->Spawn(Spec({"/bin/sleep", "30"}));
  ASSERT_TRUE(p.ok());
  std::string name = std::to_string(p->pid) + ".pid";
  EXPECT_EQ(Records(dir), std::set<std::string>{name});
  std::ifstream in(dir + "/" + name);
  pid_t pid = 0;
  uint64_t start = 0;
  in >> pid >> start;
  EXPECT_EQ(pid, p->pid);
  EXPECT_EQ(start, *ProcessSupervisor::ProcessStartTime(p->pid));
  ASSERT_TRUE(s->Signal(*p, SIGKILL).ok());
  ASSERT_TRUE(s->WaitExited(*p, kWait).has_value());
  EXPECT_TRUE(Records(dir).empty());
}

// A process of a "previous run": its own session, not a child of any supervisor.
pid_t StartOrphanLike() {
  pid_t pid = fork();
  if (pid == 0) {
    setsid();
    execl("/bin/sleep", "sleep", "30", static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

void WriteRecord(const std::string& dir, pid_t pid, uint64_t start) {
  std::ofstream(dir + "/" + std::to_string(pid) + ".pid") << pid << " " << start << "\n";
}

bool Reaped(pid_t pid, int* status) {
  return WaitFor([&] { return waitpid(pid, status, WNOHANG) == pid; });
}

TEST(ProcessSupervisor, KillLeftoversKillsMatchingRecords) {
  std::string dir = TempDir("leftovers");
  pid_t victim = StartOrphanLike();
  pid_t bystander = StartOrphanLike();
  ASSERT_GT(victim, 0);
  ASSERT_GT(bystander, 0);
  // Wait until the children have called setsid (their process group is their pid).
  ASSERT_TRUE(
      WaitFor([&] { return getpgid(victim) == victim && getpgid(bystander) == bystander; }));
  auto start = ProcessSupervisor::ProcessStartTime(victim);
  auto other_start = ProcessSupervisor::ProcessStartTime(bystander);
  ASSERT_TRUE(start.ok() && other_start.ok());
  WriteRecord(dir, victim, *start);
  WriteRecord(dir, bystander, *other_start + 1);  // the pid now belongs to someone else
  std::ofstream(dir + "/garbage.pid") << "not a record\n";

  auto report = ProcessSupervisor::KillLeftovers(dir);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->killed, 1);
  EXPECT_EQ(report->ignored, 2);
  EXPECT_TRUE(Records(dir).empty());

  int status = 0;
  ASSERT_TRUE(Reaped(victim, &status));
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  EXPECT_EQ(waitpid(bystander, &status, WNOHANG), 0);  // still running
  kill(bystander, SIGKILL);
  EXPECT_TRUE(Reaped(bystander, &status));
}

TEST(ProcessSupervisor, KillLeftoversReachesGroupOfVanishedLeader) {
  std::string dir = TempDir("vanished");
  // A leader that starts a grandchild in its group and exits, as a child killed by PDEATHSIG.
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t leader = fork();
  if (leader == 0) {
    setsid();
    dup2(fds[1], 1);
    execl("/bin/sh", "sh", "-c", "/bin/sleep 30 & echo $!", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  char buf[32] = {};
  ssize_t n = read(fds[0], buf, sizeof(buf) - 1);
  close(fds[0]);
  ASSERT_GT(n, 0);
  pid_t grandchild = atoi(buf);
  int status;
  ASSERT_TRUE(Reaped(leader, &status));
  ASSERT_FALSE(Dead(grandchild));
  WriteRecord(dir, leader, 12345);

  auto report = ProcessSupervisor::KillLeftovers(dir);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->killed, 1);
  EXPECT_TRUE(WaitFor([&] { return Dead(grandchild); }));
}

}  // namespace
}  // namespace canaryd::workload

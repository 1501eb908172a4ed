// Helpers for integration tests that run real processes on loopback: spawn a program with
// arguments and extra environment and capture its output, run a command to completion with a
// time limit, stop a process by its PID, find a free port, wait for a port or a file, make a
// temporary directory, and speak raw HTTP/1.1. Every wait is bounded. Generic: nothing here
// knows canaryd (see canaryd_instance.h for that).
//
// Thread-safety: a Process belongs to the thread that spawned it; the free functions may be
// called from any thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace canaryd::testing {

using namespace std::chrono_literals;

// A temporary directory, removed with its contents when destroyed.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "canaryd-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& content);

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is the program's path
  std::vector<std::string> env;   // extra "KEY=VALUE" entries; they override the inherited ones
  std::string stdin_data;         // given on standard input (then EOF)
  std::string working_dir;        // "" = the current one
};

// A child process whose standard output and error go to files; killed (SIGKILL, by PID) and
// reaped when destroyed if still running.
class Process {
 public:
  // nullptr (with *error set) when it cannot be started.
  static std::unique_ptr<Process> Spawn(const SpawnOptions& options, std::string* error);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool Running();
  // Waits up to `timeout` for the exit; the exit code (128 + signal when killed), or nullopt.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  // Sends `signal` and waits up to `timeout`; sends SIGKILL if it is still running then.
  std::optional<int> Stop(int signal, std::chrono::milliseconds timeout = 10s);
  std::string Stdout() const { return ReadFile(stdout_path_); }
  std::string Stderr() const { return ReadFile(stderr_path_); }
  // Waits until standard output (or error, when `in_stderr`) contains `text`.
  bool WaitForOutput(const std::string& text, std::chrono::milliseconds timeout,
                     bool in_stderr = false);

 private:
  Process() = default;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::unique_ptr<TempDir> dir_;
  std::string stdout_path_;
  std::string stderr_path_;
};

struct CommandResult {
  int exit_code = -1;  // -1 when it could not start or timed out
  bool timed_out = false;
  std::string out;
  std::string err;
};

// Runs a command to completion (killing it after `timeout`).
CommandResult RunCommand(const SpawnOptions& options, std::chrono::milliseconds timeout = 60s);

// A port that was free a moment ago on 127.0.0.1 (bind to 0, read back, close).
uint16_t FreePort();
bool WaitForPort(const std::string& host, uint16_t port, std::chrono::milliseconds timeout);
// Waits until `path` exists and is not empty; returns its content or "".
std::string WaitForFile(const std::string& path, std::chrono::milliseconds timeout);

// Sends `request` as is and reads the answer until the server closes the connection or the
// timeout passes.
std::string RawHttp(uint16_t port, const std::string& request,
                    std::chrono::milliseconds timeout = 10s, const std::string& host = "127.0.0.1");

struct HttpReply {
  int status = 0;  // 0 when no valid response came
  std::string headers;
  std::string body;
};
// One request with Connection: close; `headers` are extra "Name: value" lines. Chunked response
// bodies are decoded.
HttpReply Http(uint16_t port, const std::string& method, const std::string& path,
               const std::string& body = "", const std::vector<std::string>& headers = {},
               std::chrono::milliseconds timeout = 10s);
HttpReply ParseHttpReply(const std::string& raw);

// The first executable named `name` on PATH (or in the given fallbacks), or "".
std::string FindExecutable(const std::string& name, const std::vector<std::string>& fallbacks = {});

}  // namespace canaryd::testing

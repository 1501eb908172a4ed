// The demo's child processes (canaryd): started in their own process group, so that Ctrl-C at
// the terminal reaches the demo only and the demo stops them in order; with a parent-death
// signal, so that they end with the demo however it ends; output to a log file, no stdin.
// Call from the thread that started them (the parent-death signal follows that thread).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace canaryd::demo {

// Starts argv (argv[0] a path, run directly, never through a shell). -1 with *error set when
// fork fails; an exec failure is the child's exit code 127.
pid_t SpawnChild(const std::vector<std::string>& argv, const std::string& log_path,
                 std::string* error);

// Whether `pid` has exited (and is reaped now).
bool ChildExited(pid_t pid);

// SIGTERM, then SIGKILL when it is still running after `grace`; reaps it.
void StopChild(pid_t pid, std::chrono::milliseconds grace);

}  // namespace canaryd::demo

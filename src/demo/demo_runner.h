// `canaryd demo`: the walkthrough as one command. Starts canaryd as a child process on loopback
// with a fresh data directory, applies the walkthrough's resources through the resource API
// (as kubectl would), and plays three acts: v1 then 90/10 by hand; a Canary from v1 to v2 that
// promotes itself; a Canary to a faulty v3 that rolls back by itself. A built-in traffic
// generator plays the users. Ctrl-C at any moment stops the traffic, canaryd and every Pod it
// runs, and removes the data directory. Called from main() only, on the main thread.
#pragma once

#include <string>

namespace canaryd::demo {

struct DemoOptions {
  bool non_interactive = false;  // run every act to its end without pausing, then exit
  bool traffic = true;           // the built-in traffic generator
  double rate = 40;              // its requests per second
  std::string interval;          // the Canaries' analysis interval ("" = 5s, 2s non-interactive)
  int site_port = 8080;          // where the Gateway's port 80 is served
  int admin_port = 15000;        // the resource API and the dashboard
  std::string seed_dir;          // the walkthrough's own files, applied instead of the embedded
  double v3_error_rate = 0.2;    // share of v3's answers that are 503
  int act_timeout_s = 120;       // an act that has not ended by then fails the demo
  bool keep_data = false;        // keep the data directory afterwards
  std::string canaryd_path;      // the canaryd executable ("" = this one)
};

// Runs the demo; the process exit code (0: every act ended as expected; 130: interrupted).
int RunDemo(const DemoOptions& options);

// `canaryd demo [flags]`: parses argv (argv[0] is "demo") and runs it.
int DemoMain(int argc, char** argv);

}  // namespace canaryd::demo

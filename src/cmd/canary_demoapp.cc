// canary-demoapp: the walkthrough's web application, one process per version. main() only.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>

#include "config/duration.h"
#include "demoapp/demo_app.h"

namespace {

bool ParseDurationFlag(const std::string& text, int64_t* out) {
  if (text.empty()) return true;
  std::string why;
  auto d = canaryd::config::ParseDuration(text, &why);
  if (!d || *d < 0) return false;
  *out = *d;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"canary-demoapp: a small web application that shows its version"};
  canaryd::demoapp::Options o;
  std::string latency, jitter;
  app.add_option("--version", o.version, "Version to show (v1, v2, ...)")->required();
  app.add_option("--port", o.port, "Port to listen on (0: pick one and print it)");
  app.add_option("--listen-host", o.host, "Address to listen on")->capture_default_str();
  app.add_option("--workers", o.workers, "Worker threads")->capture_default_str();
  app.add_option("--error-rate", o.error_rate, "Share of requests answered 503 (0..1)")
      ->envname("ERROR_RATE")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--latency", latency, "Delay added to each response, e.g. 200ms")
      ->envname("LATENCY");
  app.add_option("--latency-jitter", jitter, "The delay varies by up to this much either way");
  app.add_option("--seed", o.seed, "Seed for error and jitter draws");
  CLI11_PARSE(app, argc, argv);
  if (!ParseDurationFlag(latency, &o.latency_nanos) ||
      !ParseDurationFlag(jitter, &o.jitter_nanos)) {
    spdlog::error("--latency and --latency-jitter take durations such as 200ms or 1.5s");
    return 2;
  }

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  canaryd::demoapp::DemoApp demo(o);
  canaryd::Status s = demo.Start();
  if (!s.ok()) {
    spdlog::error("{}", s.ToString());
    return 1;
  }
  std::printf("canary-demoapp %s listening on %s:%u\n", o.version.c_str(), o.host.c_str(),
              demo.port());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&set, &sig);
  demo.Stop();
  return 0;
}

// canaryd: the gateway daemon. main() only; the work is in the libraries.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <string>
#include <vector>

#include "config/analyze.h"
#include "config/loader.h"

int main(int argc, char** argv) {
  CLI::App app{"canaryd: an HTTP ingress gateway that routes by Istio's resources"};
  std::vector<std::string> files;
  bool check_only = false;
  app.add_option("-f,--filename", files,
                 "Manifest file or directory applied at start (repeatable)");
  app.add_flag("--check", check_only, "Validate the manifests and exit");
  CLI11_PARSE(app, argc, argv);

  canaryd::config::LoadResult loaded;
  for (const std::string& f : files) canaryd::config::LoadPath(f, {}, loaded);
  canaryd::config::AnalyzeReferences(loaded.resources, loaded.diagnostics);
  for (const auto& d : loaded.diagnostics.items()) {
    if (d.severity == canaryd::config::Severity::kError) {
      spdlog::error("{}", d.ToString());
    } else {
      spdlog::warn("{}", d.ToString());
    }
  }
  if (loaded.diagnostics.has_errors()) {
    spdlog::error("refusing to start: {} configuration errors", loaded.diagnostics.error_count());
    return 1;
  }
  spdlog::info("loaded {} resources from {} files", loaded.resources.size(), loaded.files);
  if (check_only) return 0;

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  int sig = 0;
  sigwait(&set, &sig);
  spdlog::info("signal {}: exiting", sig);
  return 0;
}

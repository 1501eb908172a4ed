// CanarydInstance: a real canaryd process for integration tests, on a free loopback port with
// its own data directory, plus runners for the real kubectl and canaryctl pointed at it through
// a kubeconfig that `canaryctl kubeconfig` wrote. Stopped by PID (SIGTERM, then SIGKILL) when
// destroyed. One per test; not thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "integration/harness.h"

namespace canaryd::testing {

struct CanarydOptions {
  std::vector<std::string> extra_args;  // e.g. {"-f", "examples/walkthrough"}
  // canaryd runs under this command, e.g. {"/usr/bin/prlimit", "--fsize=2000000"}.
  std::vector<std::string> wrapper;
  std::string admin = "127.0.0.1:0";
  std::string token;  // written to a token file and passed as --admin-token-file when set
  bool require_token = false;
  // The data plane listens on 127.0.0.1 only, with Gateway port 80 mapped to a free port (see
  // gateway_port()), and this many workers.
  int workers = 1;
  uint16_t gateway_port = 0;  // the local port for Gateway port 80; 0 picks a free one
};

class CanarydInstance {
 public:
  // The binaries of this build (CANARYD_BINARY_DIR/bin).
  static std::string CanarydPath();
  static std::string CanaryctlPath();
  // The kubectl to test against, or "" (tests skip).
  static std::string KubectlPath();

  explicit CanarydInstance(CanarydOptions options = {});
  ~CanarydInstance();

  // Starts canaryd and waits (bounded) until it serves; false with the log in *error.
  bool Start(std::string* error);
  // SIGTERM and wait; the exit code, or nullopt if it had to be killed.
  std::optional<int> Stop();
  bool Restart(std::string* error) {
    Stop();
    return Start(error);
  }

  // The options of the next Start (a restart with other flags changes them first).
  CanarydOptions& options() { return options_; }
  uint16_t port() const { return port_; }
  // The local port Gateway port 80 is bound to.
  uint16_t gateway_port() const { return gateway_port_; }
  // https when a token is set: canaryd then serves TLS (kubectl sends tokens only over TLS).
  std::string url() const {
    return (options_.token.empty() ? "http://127.0.0.1:" : "https://127.0.0.1:") +
           std::to_string(port_);
  }
  // The self-signed certificate canaryd made for its TLS listener.
  std::string ca_file() const { return data_dir_ + "/admin-tls.crt"; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& kubeconfig() const { return kubeconfig_; }
  TempDir& dir() { return dir_; }
  Process* process() { return process_.get(); }
  std::string Log() const { return process_ ? process_->Stderr() + process_->Stdout() : ""; }

  // Runs kubectl with the instance's kubeconfig (and a private HOME, so that no discovery
  // cache of another run is used).
  CommandResult Kubectl(const std::vector<std::string>& args,
                        const std::vector<std::string>& env = {},
                        const std::string& stdin_data = "");
  std::unique_ptr<Process> StartKubectl(const std::vector<std::string>& args);
  // Runs canaryctl with --server (and --token-file, --certificate-authority) for this instance.
  CommandResult Canaryctl(const std::vector<std::string>& args);

 private:
  SpawnOptions KubectlSpawn(const std::vector<std::string>& args,
                            const std::vector<std::string>& env);

  CanarydOptions options_;
  TempDir dir_;
  std::string data_dir_;
  std::string kubeconfig_;
  std::string token_file_;
  uint16_t port_ = 0;
  uint16_t gateway_port_ = 0;
  std::unique_ptr<Process> process_;
};

}  // namespace canaryd::testing

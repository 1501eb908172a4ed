#include "integration/canaryd_instance.h"

#include <signal.h>

#include <filesystem>
#include <thread>

#include "testing/paths.h"

namespace canaryd::testing {

std::string CanarydInstance::CanarydPath() {
  return (BinaryDir() / "bin" / "canaryd").string();
}

std::string CanarydInstance::CanaryctlPath() {
  return (BinaryDir() / "bin" / "canaryctl").string();
}

std::string CanarydInstance::KubectlPath() {
  if (const char* k = std::getenv("CANARYD_KUBECTL")) return k;
  return FindExecutable("kubectl", {"/usr/bin/kubectl", "/usr/local/bin/kubectl"});
}

CanarydInstance::CanarydInstance(CanarydOptions options)
    : options_(std::move(options)), dir_("canaryd-it") {
  data_dir_ = dir_.File("data");
  kubeconfig_ = dir_.File("kubeconfig");
  std::filesystem::create_directories(dir_.File("home"));
  if (!options_.token.empty()) {
    token_file_ = dir_.File("token");
    WriteFile(token_file_, options_.token + "\n");
  }
}

CanarydInstance::~CanarydInstance() {
  Stop();
}

bool CanarydInstance::Start(std::string* error) {
  std::string port_file = dir_.File("port");
  std::filesystem::remove(port_file);
  SpawnOptions s;
  s.argv = {CanarydPath(), "--admin",    options_.admin, "--admin-port-file",
            port_file,     "--data-dir", data_dir_};
  if (!token_file_.empty()) {
    s.argv.push_back("--admin-token-file");
    s.argv.push_back(token_file_);
  }
  if (options_.require_token) s.argv.push_back("--admin-require-token");
  // Tests talk to 127.0.0.1 only, never to a privileged port: keep the port across restarts.
  if (gateway_port_ == 0)
    gateway_port_ = options_.gateway_port != 0 ? options_.gateway_port : FreePort();
  s.argv.insert(s.argv.end(),
                {"--listen-host", "127.0.0.1", "--port-map", "80=" + std::to_string(gateway_port_),
                 "--workers", std::to_string(options_.workers)});
  s.argv.insert(s.argv.end(), options_.extra_args.begin(), options_.extra_args.end());
  s.argv.insert(s.argv.begin(), options_.wrapper.begin(), options_.wrapper.end());
  s.working_dir = SourceDir().string();
  process_ = Process::Spawn(s, error);
  if (!process_) return false;
  // Bounded: the port file appears once the listener serves, or the process exits.
  auto deadline = std::chrono::steady_clock::now() + 20s;
  std::string port;
  while (std::chrono::steady_clock::now() < deadline) {
    port = ReadFile(port_file);
    if (!port.empty() || !process_->Running()) break;
    std::this_thread::sleep_for(20ms);
  }
  if (port.empty()) {
    *error = "canaryd did not start:\n" + Log();
    return false;
  }
  port_ = static_cast<uint16_t>(std::stoi(port));
  CommandResult kc = Canaryctl({"kubeconfig"});
  if (kc.exit_code != 0) {
    *error = "canaryctl kubeconfig failed: " + kc.err;
    return false;
  }
  WriteFile(kubeconfig_, kc.out);
  return true;
}

std::optional<int> CanarydInstance::Stop() {
  if (!process_) return std::nullopt;
  std::optional<int> code = process_->Stop(SIGTERM, 15s);
  return code;
}

SpawnOptions CanarydInstance::KubectlSpawn(const std::vector<std::string>& args,
                                           const std::vector<std::string>& env) {
  SpawnOptions s;
  s.argv = {KubectlPath()};
  s.argv.insert(s.argv.end(), args.begin(), args.end());
  s.env = {"KUBECONFIG=" + kubeconfig_, "HOME=" + dir_.File("home"),
           "KUBECACHEDIR=" + dir_.File("home/cache")};
  s.env.insert(s.env.end(), env.begin(), env.end());
  s.working_dir = dir_.path();
  return s;
}

CommandResult CanarydInstance::Kubectl(const std::vector<std::string>& args,
                                       const std::vector<std::string>& env,
                                       const std::string& stdin_data) {
  SpawnOptions s = KubectlSpawn(args, env);
  s.stdin_data = stdin_data;
  return RunCommand(s, 60s);
}

std::unique_ptr<Process> CanarydInstance::StartKubectl(const std::vector<std::string>& args) {
  std::string error;
  return Process::Spawn(KubectlSpawn(args, {}), &error);
}

CommandResult CanarydInstance::Canaryctl(const std::vector<std::string>& args) {
  SpawnOptions s;
  s.argv = {CanaryctlPath(), "--server", url()};
  if (!token_file_.empty()) {
    s.argv.insert(s.argv.end(),
                  {"--token-file", token_file_, "--certificate-authority", ca_file()});
  }
  s.argv.insert(s.argv.end(), args.begin(), args.end());
  s.working_dir = dir_.path();
  return RunCommand(s, 60s);
}

}  // namespace canaryd::testing

// canaryctl: the command-line client of canaryd. main() only; the work is in the libraries.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "client/commands.h"
#include "client/http_client.h"
#include "client/rollout_commands.h"
#include "config/analyze.h"
#include "config/duration.h"
#include "config/loader.h"

namespace {

int RunValidate(const std::vector<std::string>& paths, bool recursive) {
  canaryd::config::LoadOptions options;
  options.recursive = recursive;
  canaryd::config::LoadResult result;
  for (const std::string& p : paths) canaryd::config::LoadPath(p, options, result);
  canaryd::config::AnalyzeReferences(result.resources, result.diagnostics);
  std::fputs(result.diagnostics.ToString().c_str(), stdout);
  size_t errors = result.diagnostics.error_count();
  size_t warnings = result.diagnostics.warning_count();
  std::printf("%s: %zu resources valid in %zu documents of %zu files; %zu errors, %zu warnings\n",
              errors == 0 ? "valid" : "invalid", result.resources.size(), result.documents,
              result.files, errors, warnings);
  return errors == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"canaryctl: the command-line client of canaryd"};
  app.require_subcommand(1);
  std::string server = "http://127.0.0.1:15000";
  std::string token_file;
  app.add_option("--server,-s", server, "canaryd's admin API URL")
      ->envname("CANARYD_SERVER")
      ->capture_default_str();
  app.add_option("--token-file", token_file, "File holding the bearer token")
      ->envname("CANARYD_TOKEN_FILE");
  std::string ca_file;
  bool insecure = false;
  app.add_option("--certificate-authority", ca_file,
                 "PEM certificate to trust for https (canaryd's is <data-dir>/admin-tls.crt)")
      ->envname("CANARYD_CA_FILE");
  app.add_flag("--insecure-skip-tls-verify", insecure,
               "Do not verify the server's certificate (https)");

  std::vector<std::string> files;
  bool recursive = false;
  CLI::App* validate =
      app.add_subcommand("validate", "Decode and validate manifests offline (exit 1 on errors)");
  validate->add_option("-f,--filename", files, "File or directory of manifests (repeatable)")
      ->required();
  validate->add_flag("-R,--recursive", recursive, "Descend into sub-directories");

  std::string ns;
  CLI::App* apply = app.add_subcommand("apply", "Create or update resources from manifests");
  apply->add_option("-f,--filename", files, "File or directory of manifests (repeatable)")
      ->required();
  apply->add_flag("-R,--recursive", recursive, "Descend into sub-directories");
  apply->add_option("-n,--namespace", ns, "Namespace for objects that name none");

  canaryd::client::GetOptions get_options;
  CLI::App* get = app.add_subcommand("get", "Show resources");
  get->add_option("kind", get_options.resource, "Kind: vs, gw, dr, se, we, svc, ns, ...")
      ->required();
  get->add_option("name", get_options.names, "Names (all when none)");
  get->add_option("-o,--output", get_options.output, "yaml, json, wide or name");
  get->add_option("-n,--namespace", get_options.ns, "Namespace (default: default)");
  get->add_flag("-A,--all-namespaces", get_options.all_namespaces, "Every namespace");

  canaryd::client::DeleteOptions delete_options;
  CLI::App* del = app.add_subcommand("delete", "Delete resources named in manifests or by name");
  del->add_option("-f,--filename", delete_options.files, "File or directory of manifests");
  del->add_flag("-R,--recursive", delete_options.recursive, "Descend into sub-directories");
  del->add_option("kind", delete_options.resource, "Kind, when not using -f");
  del->add_option("name", delete_options.names, "Names, when not using -f");
  del->add_option("-n,--namespace", delete_options.ns, "Namespace (default: default)");
  del->add_flag("--ignore-not-found", delete_options.ignore_not_found,
                "Do not fail on objects that do not exist");

  canaryd::client::RolloutOptions rollout_options;
  std::string rollout_timeout;
  CLI::App* rollout = app.add_subcommand("rollout", "Show and steer a Canary's rollout");
  rollout->require_subcommand(1);
  struct RolloutVerb {
    const char* name;
    const char* help;
    canaryd::client::RolloutAction action;
  };
  const RolloutVerb verbs[] = {
      {"status",
       "Phase, weight and the last decision; with --wait, exit 0 when Succeeded, 1 when Failed, "
       "2 on --timeout (kubectl wait --for=jsonpath='{.status.phase}'=Succeeded canary/NAME)",
       canaryd::client::RolloutAction::kStatus},
      {"watch", "Print each change until the rollout ends (kubectl get canary NAME -w)",
       canaryd::client::RolloutAction::kWatch},
      {"promote",
       "Promote now, skipping the remaining steps (kubectl annotate canary NAME "
       "canaryd.io/promote=true)",
       canaryd::client::RolloutAction::kPromote},
      {"abort",
       "Roll back now: canary weight 0, phase Failed (kubectl annotate canary NAME "
       "canaryd.io/abort=true)",
       canaryd::client::RolloutAction::kAbort},
      {"pause",
       "Take no step and run no check (kubectl patch canary NAME --type=merge -p "
       "'{\"spec\":{\"suspend\":true}}')",
       canaryd::client::RolloutAction::kPause},
      {"resume",
       "Continue after pause (kubectl patch canary NAME --type=merge -p "
       "'{\"spec\":{\"suspend\":false}}')",
       canaryd::client::RolloutAction::kResume},
  };
  for (const RolloutVerb& v : verbs) {
    CLI::App* sub = rollout->add_subcommand(v.name, v.help);
    sub->add_option("name", rollout_options.name, "The Canary's name")->required();
    sub->add_option("-n,--namespace", rollout_options.ns, "Namespace (default: default)");
    if (v.action == canaryd::client::RolloutAction::kStatus) {
      sub->add_flag("-w,--wait", rollout_options.wait, "Wait until the rollout ends");
    }
    if (v.action == canaryd::client::RolloutAction::kStatus ||
        v.action == canaryd::client::RolloutAction::kWatch) {
      sub->add_option("--timeout", rollout_timeout, "Give up after this long (e.g. 5m; exit 2)");
    }
    sub->callback([&rollout_options, action = v.action] { rollout_options.action = action; });
  }

  CLI::App* kubeconfig = app.add_subcommand(
      "kubeconfig", "Print a kubeconfig for this canaryd (KUBECONFIG=file kubectl get vs)");

  CLI11_PARSE(app, argc, argv);
  if (validate->parsed()) return RunValidate(files, recursive);

  canaryd::client::ClientOptions options;
  options.server = server;
  if (!token_file.empty()) {
    canaryd::Result<std::string> token = canaryd::client::ReadTokenFile(token_file);
    if (!token.ok()) {
      std::cerr << "error: " << token.status().message() << "\n";
      return 1;
    }
    options.token = *token;
  }
  options.ca_file = ca_file;
  options.insecure = insecure;
  if (kubeconfig->parsed()) {
    std::string ca_pem;
    if (!ca_file.empty()) {
      std::ifstream in(ca_file, std::ios::binary);
      if (!in) {
        std::cerr << "error: cannot read " << ca_file << "\n";
        return 1;
      }
      ca_pem.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    std::cout << canaryd::client::Kubeconfig(options.server, options.token, ca_pem, insecure);
    return 0;
  }
  canaryd::client::HttpClient client(options);
  canaryd::client::Output io{std::cout, std::cerr};
  if (apply->parsed()) return canaryd::client::RunApply(client, files, recursive, ns, io);
  if (rollout->parsed()) {
    if (!rollout_timeout.empty()) {
      std::string why;
      std::optional<int64_t> nanos = canaryd::config::ParseDuration(rollout_timeout, &why);
      if (!nanos) {
        std::cerr << "error: --timeout: " << why << "\n";
        return 1;
      }
      rollout_options.timeout = std::chrono::milliseconds(*nanos / 1'000'000);
    }
    return canaryd::client::RunRollout(client, rollout_options, io);
  }
  if (get->parsed()) return canaryd::client::RunGet(client, get_options, io);
  if (del->parsed()) {
    if (delete_options.files.empty() && delete_options.resource.empty()) {
      std::cerr << "error: must provide -f FILE or KIND NAME\n";
      return 1;
    }
    return canaryd::client::RunDelete(client, delete_options, io);
  }
  return 2;
}

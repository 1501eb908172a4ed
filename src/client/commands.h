// canaryctl's commands against canaryd's API: apply -f (server-side apply, forced, recording
// kubectl's last-applied-configuration annotation so kubectl's own apply keeps working), get
// (tables, -o yaml|json|wide|name), delete (-f or kind and names) and kubeconfig. Each prints
// what kubectl would (`virtualservice.networking.istio.io/web configured`) and returns the
// process exit code. Not thread-safe (one HttpClient); run one command at a time.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "client/http_client.h"

namespace canaryd::client {

struct Output {
  std::ostream& out;
  std::ostream& err;
};

int RunApply(HttpClient& client, const std::vector<std::string>& files, bool recursive,
             const std::string& ns, Output io);

struct GetOptions {
  std::string resource;  // "vs", "virtualservices", "svc", ...
  std::vector<std::string> names;
  std::string output;  // "", "wide", "yaml", "json", "name"
  std::string ns;      // "" = default
  bool all_namespaces = false;
};
int RunGet(HttpClient& client, const GetOptions& options, Output io);

struct DeleteOptions {
  std::vector<std::string> files;
  bool recursive = false;
  std::string resource;
  std::vector<std::string> names;
  std::string ns;
  bool ignore_not_found = false;
};
int RunDelete(HttpClient& client, const DeleteOptions& options, Output io);

// A kubeconfig whose current context points at `server`, with `token` when not empty, and for
// https the CA certificate (PEM text, embedded) or, when `insecure`, no verification.
std::string Kubeconfig(const std::string& server, const std::string& token,
                       const std::string& ca_pem = "", bool insecure = false);

}  // namespace canaryd::client

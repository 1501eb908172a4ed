// canaryd: the gateway daemon. main() only; the work is in the libraries.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "api/admin_server.h"
#include "api/gateway_service.h"
#include "api/kube_api.h"
#include "api/manifest_files.h"
#include "api/namespace_controller.h"
#include "api/object_service.h"
#include "api/system_objects.h"
#include "api/tls.h"
#include "common/clock.h"
#include "config/analyze.h"
#include "config/duration.h"
#include "config/kinds.h"
#include "config/loader.h"
#include "control/gateway_runtime.h"
#include "demo/demo_runner.h"
#include "rollout/controller.h"
#include "rollout/http_outbound.h"
#include "store/sqlite_store.h"
#include "ui/dashboard.h"
#include "workload/image_catalog.h"
#include "workload/kubelet.h"
#include "workload/process_supervisor.h"
#include "workload/workload_admission.h"
#include "workload/workload_controller.h"

namespace {

using canaryd::api::json;

// Reads the bearer token: the file's content without surrounding white space.
bool ReadToken(const std::string& path, std::string* token) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buf;
  buf << in.rdbuf();
  std::string t = buf.str();
  size_t b = t.find_first_not_of(" \t\r\n");
  size_t e = t.find_last_not_of(" \t\r\n");
  *token = b == std::string::npos ? "" : t.substr(b, e - b + 1);
  return true;
}

// Applies the -f manifests with apply semantics: created, configured or unchanged.
bool ApplyManifests(canaryd::api::ObjectService& service, const std::vector<std::string>& files) {
  canaryd::api::ManifestFiles manifests = canaryd::api::ReadManifests(files, false);
  for (const std::string& e : manifests.errors) spdlog::error("{}", e);
  if (!manifests.errors.empty()) return false;
  // Namespaces first, as their contents need them.
  std::stable_sort(manifests.objects.begin(), manifests.objects.end(),
                   [](const auto& a, const auto& b) {
                     return (a.object.value("kind", "") == "Namespace") >
                            (b.object.value("kind", "") == "Namespace");
                   });
  bool ok = true;
  for (const canaryd::api::ManifestObject& m : manifests.objects) {
    const json& obj = m.object;
    std::string api_version = obj.value("apiVersion", "");
    const canaryd::config::KindInfo* kind =
        canaryd::config::FindKind(api_version, obj.value("kind", ""));
    if (kind == nullptr) {
      spdlog::error("{}: {} {} is not served", m.file, api_version, obj.value("kind", ""));
      ok = false;
      continue;
    }
    canaryd::api::Target t;
    t.kind = kind;
    t.version = api_version.substr(api_version.find('/') + 1);
    const json meta = obj.value("metadata", json::object());
    t.ns = kind->namespaced ? meta.value("namespace", "default") : "";
    t.name = meta.value("name", "");
    std::string display = std::string(kind->singular) +
                          (kind->group.empty() ? "" : "." + std::string(kind->group)) + "/" +
                          t.name;
    auto r = service.ApplyManifest(t, obj, "canaryd");
    if (!r.ok()) {
      spdlog::error("{}: {}: {}", m.file, display, r.error().message);
      ok = false;
      continue;
    }
    for (const std::string& w : r->warnings) spdlog::warn("{}: {}: {}", m.file, display, w);
    spdlog::info("{} {}", display,
                 r->created ? "created" : (r->changed ? "configured" : "unchanged"));
  }
  return ok;
}

// "80=8080" -> {80, 8080}.
bool ParsePortMap(const std::vector<std::string>& in, std::map<uint32_t, uint16_t>* out) {
  auto number = [](std::string_view s, long* v) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
    return ec == std::errc() && p == s.data() + s.size();
  };
  for (const std::string& m : in) {
    size_t eq = m.find('=');
    long from = 0, to = 0;
    if (eq == std::string::npos || !number(std::string_view(m).substr(0, eq), &from) ||
        !number(std::string_view(m).substr(eq + 1), &to) || from < 1 || from > 65535 || to < 0 ||
        to > 65535) {
      return false;
    }
    (*out)[static_cast<uint32_t>(from)] = static_cast<uint16_t>(to);
  }
  return true;
}

// "istio=ingressgateway,app=gw" -> labels.
bool ParseLabels(const std::string& in, std::map<std::string, std::string>* out) {
  out->clear();
  std::stringstream ss(in);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) return false;
    (*out)[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return true;
}

bool DurationFlag(const std::string& name, const std::string& text, int64_t* out) {
  std::string why;
  auto d = canaryd::config::ParseDuration(text, &why);
  if (!d || *d <= 0) {
    spdlog::error("{} {}: expected a duration such as 10s or 500ms", name, text);
    return false;
  }
  *out = *d;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "demo") {
    return canaryd::demo::DemoMain(argc - 1, argv + 1);
  }
  CLI::App app{
      "canaryd: an HTTP ingress gateway that routes by Istio's resources\n"
      "  canaryd demo --help: the walkthrough of canary releases as one command"};
  std::vector<std::string> files;
  bool check_only = false;
  std::string admin_address = "127.0.0.1:15000";
  std::string token_file;
  bool require_token = false;
  std::string data_dir = "./canaryd-data";
  std::string port_file;
  std::string tls_cert;
  std::string tls_key;
  std::string log_level = "info";
  std::vector<std::string> admin_hosts;
  std::string admin_first_byte_timeout = "5s";
  int64_t watch_history = canaryd::store::SqliteStoreOptions().history_limit;
  app.add_option("-f,--filename", files,
                 "Manifest file or directory applied at start (repeatable)");
  app.add_flag("--check", check_only, "Validate the manifests and exit");
  app.add_option("--admin", admin_address,
                 "Admin listener (resource API) address; port 0 picks a free port")
      ->capture_default_str();
  app.add_option("--admin-token-file", token_file,
                 "File holding the bearer token the admin API requires (needed off loopback)");
  app.add_flag("--admin-require-token", require_token, "Require the bearer token on loopback too");
  app.add_option("--admin-tls-cert", tls_cert,
                 "PEM certificate (chain) for HTTPS on the admin listener; without it, a listener "
                 "that requires a token uses a self-signed one kept in the data directory");
  app.add_option("--admin-tls-key", tls_key, "PEM private key of --admin-tls-cert");
  app.add_option("--admin-host", admin_hosts,
                 "A name clients address the admin API by, NAME or NAME:PORT (repeatable); other "
                 "Host headers get 421. Its own address, and localhost on loopback, always pass");
  app.add_option("--admin-first-byte-timeout", admin_first_byte_timeout,
                 "Close admin connections that send nothing for this long after connecting")
      ->capture_default_str();
  app.add_option("--admin-port-file", port_file,
                 "Write the admin listener's bound port to this file once serving");
  app.add_option("--data-dir", data_dir, "Directory of the embedded store")->capture_default_str();
  std::string image_catalog;
  bool no_workloads = false;
  app.add_option("--image-catalog", image_catalog,
                 "YAML file mapping container images to local commands (see the README); "
                 "gardnera/canarytester:<tag> is built in");
  app.add_flag("--no-workloads", no_workloads,
               "Run no Pods: Deployments, ReplicaSets and Pods are stored, nothing starts them");
  app.add_option("--watch-history", watch_history,
                 "Changes kept for watches to resume from; older resourceVersions get 410 Gone")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->capture_default_str();
  bool ui_read_only = false;
  app.add_flag("--ui-read-only", ui_read_only,
               "The dashboard (/ui/) shows no buttons, and the API refuses every write sent by a "
               "browser (kubectl keeps writing)");

  canaryd::control::RuntimeOptions runtime;
  runtime.proxy.workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::string> port_map;
  std::string gateway_labels = "istio=ingressgateway";
  std::string header_timeout = "10s", idle_timeout = "60s", drain_timeout = "5s";
  std::string access_log_format = "text";
  app.add_option("--workers", runtime.proxy.workers, "Proxy worker threads (default: cores)")
      ->check(CLI::Range(1, 256));
  app.add_option("--listen-host", runtime.proxy.listen_host, "Address the Gateway ports bind")
      ->capture_default_str();
  app.add_option("--port-map", port_map,
                 "Bind a Gateway port to another local port, e.g. 80=8080 (repeatable)");
  app.add_option("--gateway-labels", gateway_labels,
                 "This gateway's labels; a Gateway applies when its selector matches them")
      ->capture_default_str();
  app.add_option("--request-header-timeout", header_timeout,
                 "Request headers not complete in this time get 408 (slowloris)")
      ->capture_default_str();
  app.add_option("--idle-timeout", idle_timeout,
                 "Close kept-alive client connections idle this long")
      ->capture_default_str();
  app.add_option("--drain-timeout", drain_timeout,
                 "On SIGTERM, wait this long for requests in flight")
      ->capture_default_str();
  app.add_option("--max-connections", runtime.proxy.max_connections_per_worker,
                 "Client connections per worker; more are refused with 503")
      ->capture_default_str();
  app.add_option("--access-log", runtime.telemetry.access_log,
                 "Access log file, or - for standard output (default: none)");
  app.add_option("--access-log-format", access_log_format, "text (Istio's default) or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  bool allow_unbound_ports = false;
  app.add_flag("--allow-unbound-ports", allow_unbound_ports,
               "Keep running when a Gateway port cannot be bound at start (it is retried at each "
               "configuration change; /readyz answers 503 meanwhile)");
  bool no_telemetry = false;
  app.add_flag("--no-telemetry", no_telemetry,
               "Record nothing per request (no metrics, live statistics or access log)");
  app.add_option("--workload-name", runtime.telemetry.identity.workload,
                 "This gateway's name in metrics (source_workload)")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::from_str(log_level));
  if (!ParsePortMap(port_map, &runtime.proxy.port_map)) {
    spdlog::error("--port-map takes GATEWAYPORT=LOCALPORT, e.g. 80=8080");
    return 2;
  }
  if (!ParseLabels(gateway_labels, &runtime.compile.gateway_labels)) {
    spdlog::error("--gateway-labels takes key=value[,key=value...]");
    return 2;
  }
  if (!DurationFlag("--request-header-timeout", header_timeout,
                    &runtime.proxy.request_header_timeout_nanos) ||
      !DurationFlag("--idle-timeout", idle_timeout, &runtime.proxy.idle_timeout_nanos) ||
      !DurationFlag("--drain-timeout", drain_timeout, &runtime.proxy.drain_timeout_nanos)) {
    return 2;
  }
  runtime.telemetry.enabled = !no_telemetry;
  runtime.telemetry.access_log_format = access_log_format == "json"
                                            ? canaryd::telemetry::AccessLogFormat::kJson
                                            : canaryd::telemetry::AccessLogFormat::kText;

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

  // Block the stop signals before any thread starts, so that every thread inherits the mask
  // and only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // Writing past a file-size limit (RLIMIT_FSIZE) is then an error (EFBIG) that the store
  // reports and the API answers with 503, like a full disk, instead of a signal that kills the
  // process mid-write.
  signal(SIGXFSZ, SIG_IGN);

  canaryd::api::AdminServerOptions admin;
  admin.address = admin_address;
  admin.require_token = require_token;
  admin.refuse_browser_writes = ui_read_only;
  admin.allowed_hosts = admin_hosts;
  int64_t first_byte_nanos = 0;
  if (!DurationFlag("--admin-first-byte-timeout", admin_first_byte_timeout, &first_byte_nanos)) {
    return 2;
  }
  admin.first_byte_timeout_ms =
      static_cast<int>(std::clamp<int64_t>(first_byte_nanos / 1'000'000, 1, 3'600'000));
  if (!token_file.empty()) {
    if (!ReadToken(token_file, &admin.token) || admin.token.empty()) {
      spdlog::error("--admin-token-file {}: cannot be read or is empty", token_file);
      return 1;
    }
  }
  std::string host;
  uint16_t port = 0;
  if (!canaryd::api::SplitHostPort(admin.address, &host, &port)) {
    spdlog::error("--admin {}: expected host:port", admin.address);
    return 1;
  }
  const bool needs_token = host.empty() || !canaryd::api::IsLoopbackHost(host) || require_token;
  if (needs_token && admin.token.empty()) {
    spdlog::error(
        "refusing to start: the admin API on {} needs a bearer token; pass --admin-token-file "
        "(or bind it to 127.0.0.1)",
        admin.address);
    return 1;
  }
  if (tls_cert.empty() != tls_key.empty()) {
    spdlog::error("--admin-tls-cert and --admin-tls-key go together");
    return 1;
  }

  canaryd::store::SqliteStoreOptions store_options;
  store_options.history_limit = watch_history;
  auto store = canaryd::store::SqliteStore::Open(data_dir, store_options);
  if (!store.ok()) {
    spdlog::error("cannot open the store in {}: {}", data_dir, store.status().ToString());
    return 1;
  }
  spdlog::info("store: {} (revision {})", data_dir, (*store)->CurrentRevision());
  canaryd::api::ObjectService service(**store, canaryd::SystemClock::Instance());
  if (canaryd::Status s = service.EnsureSystemNamespaces(); !s.ok()) {
    spdlog::error("cannot create the system namespaces: {}", s.ToString());
    return 1;
  }
  // The gateway itself, as Istio shows its ingress gateway: computed from this run's flags,
  // never stored.
  canaryd::api::SystemObjects system_objects;
  canaryd::api::GatewayServiceOptions gateway_service;
  gateway_service.listen_host = runtime.proxy.listen_host;
  gateway_service.port_map = runtime.proxy.port_map;
  gateway_service.labels = runtime.compile.gateway_labels;
  gateway_service.created_wall_nanos = canaryd::SystemClock::Instance().WallNanos();
  system_objects.Add(canaryd::config::InfoOf(canaryd::config::Kind::kService),
                     canaryd::api::GatewayService(gateway_service),
                     canaryd::api::GatewayServiceReadOnlyReason(), (*store)->CurrentRevision());
  service.SetSystemObjects(&system_objects);
  canaryd::api::NamespaceController namespaces(service);
  if (canaryd::Status s = namespaces.Start(); !s.ok()) {
    spdlog::error("namespace controller: {}", s.ToString());
    return 1;
  }
  if (!ApplyManifests(service, files)) {
    spdlog::error("refusing to start: the -f manifests could not be applied");
    return 1;
  }

  // kubectl sends a bearer token only over TLS: a listener that requires one speaks HTTPS.
  if (tls_cert.empty() && needs_token) {
    tls_cert = data_dir + "/admin-tls.crt";
    tls_key = data_dir + "/admin-tls.key";
    std::ifstream existing(tls_cert);
    if (!existing) {
      std::vector<std::string> names, addresses;
      canaryd::api::LocalNamesAndAddresses(&names, &addresses);
      if (canaryd::Status s =
              canaryd::api::GenerateSelfSignedCertificate(tls_cert, tls_key, names, addresses);
          !s.ok()) {
        spdlog::error("cannot make the admin TLS certificate: {}", s.ToString());
        return 1;
      }
      spdlog::info("made a self-signed admin TLS certificate: {}", tls_cert);
    }
  }
  if (!tls_cert.empty()) {
    auto tls = canaryd::api::TlsContext::FromFiles(tls_cert, tls_key);
    if (!tls.ok()) {
      spdlog::error("admin TLS: {}", tls.status().ToString());
      return 1;
    }
    admin.tls = *tls;
  }

  // Workloads: the catalog decides what may run; processes of a previous run that survived its
  // kill -9 are ended before anything starts.
  canaryd::workload::ImageCatalog catalog;
  std::unique_ptr<canaryd::workload::ProcessSupervisor> supervisor;
  const std::string workload_dir = data_dir + "/workloads";
  if (!no_workloads) {
    if (!image_catalog.empty()) {
      auto loaded = canaryd::workload::LoadImageCatalog(image_catalog);
      if (!loaded.ok()) {
        spdlog::error("image catalog: {}", loaded.status().ToString());
        return 1;
      }
      catalog = std::move(*loaded);
    }
    std::error_code ec;
    std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
    canaryd::workload::AddBuiltinEntries(
        catalog, (std::filesystem::path(self).parent_path() / "canary-demoapp").string());
    std::filesystem::create_directories(workload_dir, ec);
    if (auto left = canaryd::workload::ProcessSupervisor::KillLeftovers(workload_dir + "/run");
        left.ok() && left->killed > 0) {
      spdlog::warn("workloads: ended {} process(es) left by a previous run", left->killed);
    }
    auto created =
        canaryd::workload::ProcessSupervisor::Create({.state_dir = workload_dir + "/run"});
    if (!created.ok()) {
      spdlog::error("workloads: {}", created.status().ToString());
      return 1;
    }
    supervisor = std::move(*created);
    service.SetGracefulPodDeletion(true);
    service.SetAdmission([&catalog, identity = canaryd::workload::CurrentIdentity()](
                             const canaryd::config::KindInfo& kind, const canaryd::api::json& obj) {
      return canaryd::workload::AdmitWorkload(catalog, identity, kind, obj);
    });
  }

  canaryd::api::Router router;
  auto server = canaryd::api::AdminServer::Start(admin, router);
  if (!server.ok()) {
    spdlog::error("admin listener: {}", server.status().ToString());
    return 1;
  }
  canaryd::api::KubeApi kube_api(service, (*server)->address(),
                                 {.token_required = (*server)->token_required()});
  kube_api.SetReady(false);  // until the gateway's first table is out and its ports listen
  kube_api.Register(router);

  canaryd::control::GatewayRuntime gateway(runtime, **store);
  std::unique_ptr<canaryd::workload::WorkloadController> workloads;
  std::unique_ptr<canaryd::workload::Kubelet> kubelet;
  if (supervisor) {
    workloads = std::make_unique<canaryd::workload::WorkloadController>(
        service, canaryd::SystemClock::Instance());
    canaryd::workload::KubeletOptions kopts;
    kopts.state_dir = workload_dir;
    kopts.wait_routed = [&gateway](int64_t revision) {
      (void)gateway.watcher().WaitForRevision(revision, 2'000'000'000);
    };
    kubelet = std::make_unique<canaryd::workload::Kubelet>(service, catalog, *supervisor,
                                                           canaryd::SystemClock::Instance(), kopts);
    kube_api.SetPodLogSource(kubelet.get());
    // The processes of a previous run died with it (PDEATHSIG), but the store still says their
    // Pods are Running and ready. One pass before the gateway builds its first table and before
    // canaryd reports ready (port file, /readyz) starts them again and writes each Pod not ready
    // until it is, so neither kubectl nor the router sees a ready Pod that has no process.
    kubelet->Tick();
  }
  if (canaryd::Status s = gateway.Start(); !s.ok()) {
    spdlog::error("gateway: {}", s.ToString());
    return 1;
  }
  // The rollout controller reads the gateway's own per-destination statistics and writes
  // through the same ObjectService as kubectl.
  canaryd::rollout::LiveStatsTraffic traffic(gateway.telemetry().live());
  canaryd::rollout::HttpOutbound outbound;
  canaryd::rollout::RolloutController rollouts(service, canaryd::SystemClock::Instance(), traffic,
                                               outbound);
  gateway.AddPrometheusSection([&rollouts] { return rollouts.RenderPrometheus(); });
  gateway.RegisterAdminRoutes(router);
  canaryd::ui::RegisterDashboard(
      router, {.read_only = ui_read_only, .token_required = (*server)->token_required()});
  kube_api.SetReadinessCheck([&gateway] { return gateway.NotReadyReason(); });
  kube_api.SetReady(true);
  size_t unbound = 0;
  for (const canaryd::proxy::ListenerState& l : gateway.server().listeners()) unbound += !l.up;
  if (unbound > 0 && !allow_unbound_ports) {
    spdlog::error(
        "refusing to start: {} Gateway port(s) cannot listen (see above); free them, change "
        "--port-map, or pass --allow-unbound-ports to serve the others and retry at each "
        "configuration change",
        unbound);
    gateway.Stop();
    (*server)->Stop();
    return 1;
  }
  for (const std::string& w : gateway.watcher().status().warnings) spdlog::warn("routes: {}", w);
  rollouts.Start();
  if (workloads) workloads->Start();
  if (kubelet) kubelet->Start();
  spdlog::info("gateway: {} workers on {}, route table generation {}", runtime.proxy.workers,
               runtime.proxy.listen_host, gateway.watcher().status().generation);
  spdlog::info("admin API listening on {}://{}{}", (*server)->tls() ? "https" : "http",
               (*server)->address(), (*server)->token_required() ? " (bearer token required)" : "");
  spdlog::info("dashboard: {}://{}/ui/{}", (*server)->tls() ? "https" : "http",
               (*server)->address(), ui_read_only ? " (read-only)" : "");
  if ((*server)->tls()) spdlog::info("admin TLS certificate: {}", tls_cert);
  if (!port_file.empty()) {
    std::string tmp = port_file + ".tmp";
    {
      std::ofstream out(tmp);
      out << (*server)->port() << "\n";
    }
    std::rename(tmp.c_str(), port_file.c_str());
  }

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("signal {}: draining (up to {})", sig, drain_timeout);
  rollouts.Stop();
  if (workloads) workloads->Stop();
  if (kubelet) kubelet->Stop();
  if (supervisor) supervisor->StopAll(std::chrono::seconds(10));
  gateway.Drain();
  (*server)->Stop();
  namespaces.Stop();
  spdlog::info("stopped");
  return 0;
}

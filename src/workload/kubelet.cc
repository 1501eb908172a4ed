#include "workload/kubelet.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>

#include "api/object_util.h"
#include "config/pod_endpoint.h"

namespace canaryd::workload {
namespace {

using api::JsonInt;
using api::JsonMember;
using api::JsonString;

constexpr const char* kFieldManager = "canaryd-kubelet";

api::Target PodTarget(const std::string& ns, const std::string& name) {
  return api::Target{&config::InfoOf(config::Kind::kPod), "v1", ns, name};
}

// A free TCP port on `ip`, as the kernel hands one out. The process binds it a moment later;
// with an address of its own per Pod, nothing else competes for it.
std::optional<uint32_t> FreePort(const std::string& ip) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = 0;
  if (inet_pton(AF_INET, ip.c_str(), &a.sin_addr) != 1 ||
      bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return std::nullopt;
  }
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

RestartPolicy PolicyOf(const std::string& s) {
  if (s == "Never") return RestartPolicy::kNever;
  if (s == "OnFailure") return RestartPolicy::kOnFailure;
  return RestartPolicy::kAlways;
}

ProbeTiming TimingOf(const api::json& probe) {
  ProbeTiming t;
  t.initial_delay_seconds = static_cast<int>(JsonInt(probe, "initialDelaySeconds", 0));
  t.period_seconds = static_cast<int>(JsonInt(probe, "periodSeconds", 10));
  t.timeout_seconds = static_cast<int>(JsonInt(probe, "timeoutSeconds", 1));
  t.success_threshold = static_cast<int>(JsonInt(probe, "successThreshold", 1));
  t.failure_threshold = static_cast<int>(JsonInt(probe, "failureThreshold", 3));
  return t;
}

}  // namespace

struct Kubelet::ContainerRun {
  std::string name;
  api::json spec;
  std::optional<ProcessId> pid;
  bool running = false;
  bool finished = false;  // exited and not to be restarted
  std::unique_ptr<RestartBackoff> backoff;
  std::string waiting_reason = "ContainerCreating", waiting_message;
  int64_t started_wall = 0;
  std::optional<api::json> last_terminated;  // lastState.terminated
  std::optional<api::json> terminated;       // state.terminated, when finished
  std::optional<ResolvedProcess> resolved;
  int pull_failures = 0;
  std::unique_ptr<ProbeTracker> readiness, liveness, startup;
  bool port_open = false;  // without a readiness probe: the first port accepted a connection
  int64_t log_restart = -1;
};

struct Kubelet::PodRun {
  std::string ns, name, uid;
  std::string ip;
  std::map<int64_t, uint32_t> ports;
  std::vector<std::unique_ptr<ContainerRun>> containers;
  int64_t start_wall = 0;
  bool ports_recorded = false;
  bool ready = false;
  int64_t ready_changed_wall = 0;
  api::json last_status;
  // Stopping: the Pod is gone from the store.
  bool stopping = false;
  int64_t kill_at_mono = 0;
  int64_t grace_s = 30;  // the spec's terminationGracePeriodSeconds
};

Kubelet::Kubelet(api::ObjectService& objects, ImageCatalog catalog, ProcessSupervisor& supervisor,
                 const Clock& clock, KubeletOptions options)
    : objects_(objects),
      catalog_(std::move(catalog)),
      supervisor_(supervisor),
      clock_(clock),
      options_(std::move(options)),
      identity_(CurrentIdentity()) {
  std::error_code ec;
  std::filesystem::create_directories(options_.state_dir + "/logs", ec);
}

Kubelet::~Kubelet() {
  Stop();
}

void Kubelet::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void Kubelet::Loop() {
  std::unique_lock<std::mutex> lock(loop_mu_);
  while (!stopping_) {
    lock.unlock();
    Tick();
    lock.lock();
    loop_cv_.wait_for(lock, std::chrono::milliseconds(options_.tick_ms), [&] { return stopping_; });
  }
}

void Kubelet::Stop(std::chrono::milliseconds grace) {
  {
    std::lock_guard<std::mutex> lock(loop_mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    loop_cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard<std::mutex> lock(logs_->mu);
    logs_->closed = true;
  }
  for (auto& [uid, run] : pods_) {
    for (auto& c : run->containers) {
      if (c->pid && c->running) (void)supervisor_.Signal(*c->pid, SIGTERM);
    }
  }
  int64_t deadline = clock_.MonotonicNanos() + grace.count() * 1'000'000;
  for (auto& [uid, run] : pods_) {
    for (auto& c : run->containers) {
      if (!c->pid || !c->running) continue;
      int64_t left = std::max<int64_t>(0, deadline - clock_.MonotonicNanos()) / 1'000'000;
      if (!supervisor_.WaitExited(*c->pid, std::chrono::milliseconds(left))) {
        (void)supervisor_.Signal(*c->pid, SIGKILL);
        (void)supervisor_.WaitExited(*c->pid, std::chrono::seconds(5));
      }
      c->running = false;
    }
  }
  pods_.clear();
}

std::string Kubelet::AllocateIp() {
  // 127.1.0.1 .. 127.1.255.254: all of 127/8 is the loopback interface's.
  for (int tries = 0; tries < 65534; ++tries) {
    next_ip_ = next_ip_ % 65534 + 1;
    uint32_t n = next_ip_;
    std::string ip = "127.1." + std::to_string(n >> 8) + "." + std::to_string(n & 0xff);
    if ((n & 0xff) == 0 || (n & 0xff) == 255) continue;
    if (used_ips_.insert(ip).second) return ip;
  }
  return "127.0.0.1";
}

std::string Kubelet::LogPath(const std::string& uid, const std::string& container,
                             int restart) const {
  return options_.state_dir + "/logs/" + uid + "/" + container + "/" + std::to_string(restart) +
         ".log";
}

void Kubelet::Tick() {
  api::ApiResult<api::ListOutcome> list =
      objects_.List(PodTarget("", ""), api::LabelSelector(), api::FieldSelector());
  if (!list.ok()) return;
  std::set<std::string> seen;
  for (const api::json& pod : list->items) {
    std::string uid = api::MetaString(pod, "uid");
    if (uid.empty()) continue;
    seen.insert(uid);
    const bool deleting = !api::MetaString(pod, "deletionTimestamp").empty();
    auto it = pods_.find(uid);
    if (it == pods_.end()) {
      if (deleting) {
        // Marked for deletion before it ever ran here (or in a previous run): nothing to stop.
        FinishDeletion(pod);
        continue;
      }
      it = pods_.emplace(uid, NewRun(pod)).first;
    }
    PodRun& run = *it->second;
    if (deleting && !run.stopping) {
      // The marked Pod is no endpoint from the revision that marked it on.
      int64_t revision = std::strtoll(api::MetaString(pod, "resourceVersion").c_str(), nullptr, 10);
      const api::json& grace =
          JsonMember(JsonMember(pod, "metadata"), "deletionGracePeriodSeconds");
      BeginStopping(run, revision, grace.is_number_integer() ? grace.get<int64_t>() : run.grace_s);
    }
    if (!run.stopping) SyncPod(pod, run);
  }
  for (auto it = pods_.begin(); it != pods_.end();) {
    PodRun& run = *it->second;
    const bool in_store = seen.count(it->first) > 0;
    if (!in_store && !run.stopping) BeginStopping(run, list->revision, run.grace_s);
    if (run.stopping && FinishStopping(run)) {
      if (in_store) {
        for (const api::json& pod : list->items) {
          if (api::MetaString(pod, "uid") == it->first) FinishDeletion(pod);
        }
      }
      used_ips_.erase(run.ip);
      {
        std::lock_guard<std::mutex> lock(logs_->mu);
        logs_->paths.erase(run.ns + "/" + run.name);
      }
      std::error_code ec;
      std::filesystem::remove_all(options_.state_dir + "/logs/" + run.uid, ec);
      it = pods_.erase(it);
      continue;
    }
    ++it;
  }
}

std::unique_ptr<Kubelet::PodRun> Kubelet::NewRun(const api::json& pod) {
  auto run = std::make_unique<PodRun>();
  run->ns = api::MetaString(pod, "namespace");
  run->name = api::MetaString(pod, "name");
  run->uid = api::MetaString(pod, "uid");
  run->ip = AllocateIp();
  run->start_wall = clock_.WallNanos();
  run->grace_s = JsonInt(JsonMember(pod, "spec"), "terminationGracePeriodSeconds", 30);
  const api::json& containers = JsonMember(JsonMember(pod, "spec"), "containers");
  if (!containers.is_array()) return run;
  for (const api::json& c : containers) {
    auto cr = std::make_unique<ContainerRun>();
    cr->name = JsonString(c, "name");
    cr->spec = c;
    cr->backoff = std::make_unique<RestartBackoff>(clock_, options_.backoff);
    if (const api::json& p = JsonMember(c, "readinessProbe"); p.is_object()) {
      cr->readiness = std::make_unique<ProbeTracker>(ProbeKind::kReadiness, TimingOf(p), clock_);
    }
    if (const api::json& p = JsonMember(c, "livenessProbe"); p.is_object()) {
      cr->liveness = std::make_unique<ProbeTracker>(ProbeKind::kLiveness, TimingOf(p), clock_);
    }
    if (const api::json& p = JsonMember(c, "startupProbe"); p.is_object()) {
      cr->startup = std::make_unique<ProbeTracker>(ProbeKind::kStartup, TimingOf(p), clock_);
    }
    const api::json& ports = JsonMember(c, "ports");
    if (ports.is_array()) {
      for (const api::json& p : ports) {
        int64_t cp = JsonInt(p, "containerPort", 0);
        if (cp <= 0 || run->ports.count(cp)) continue;
        if (std::optional<uint32_t> given = FreePort(run->ip)) run->ports[cp] = *given;
      }
    }
    run->containers.push_back(std::move(cr));
  }
  return run;
}

void Kubelet::FinishDeletion(const api::json& pod) {
  api::DeleteOptions del;
  del.uid = api::MetaString(pod, "uid");
  del.grace_period_seconds = 0;
  (void)objects_.Delete(PodTarget(api::MetaString(pod, "namespace"), api::MetaString(pod, "name")),
                        del);
}

void Kubelet::SyncPod(const api::json& pod, PodRun& run) {
  const api::Target target = PodTarget(run.ns, run.name);
  if (!run.ports_recorded) {
    // The ports are recorded before the Pod can be ready, so the router never sees a ready Pod
    // without them.
    api::json patch = {
        {"metadata",
         {{"annotations", {{config::kPodPortsAnnotation, config::FormatPodPorts(run.ports)}}}}}};
    api::WriteOptions options;
    options.field_manager = kFieldManager;
    api::ApiResult<api::WriteOutcome> w =
        objects_.Patch(target, api::PatchType::kMerge, patch.dump(), options);
    // Retried at the next tick; the status is still written, and without its ports the Pod is
    // no endpoint.
    run.ports_recorded = w.ok();
  }
  std::string policy = JsonString(JsonMember(pod, "spec"), "restartPolicy");
  for (auto& cp : run.containers) {
    ContainerRun& c = *cp;
    if (c.running && c.pid) {
      if (std::optional<ExitStatus> exit = supervisor_.Exited(*c.pid)) {
        c.running = false;
        supervisor_.Forget(*c.pid);
        c.pid.reset();
        c.port_open = false;
        api::json term = {{"exitCode", exit->signaled ? 128 + exit->signal : exit->code},
                          {"reason", !exit->signaled && exit->code == 0 ? "Completed" : "Error"},
                          {"startedAt", api::FormatTimestamp(c.started_wall)},
                          {"finishedAt", api::FormatTimestamp(exit->exited_at_wall_nanos)}};
        if (exit->signaled) term["signal"] = exit->signal;
        RestartDecision d = c.backoff->OnExited(PolicyOf(policy), exit->signaled ? 128 : exit->code,
                                                exit->signaled);
        c.last_terminated = term;
        if (!d.restart) {
          c.finished = true;
          c.terminated = term;
        } else if (d.delay_nanos > 0) {
          c.waiting_reason = "CrashLoopBackOff";
          c.waiting_message = "back-off " + std::to_string(d.delay_nanos / 1'000'000'000) +
                              "s restarting failed container=" + c.name + " pod=" + run.name + "_" +
                              run.ns + "(" + run.uid + ")";
        }
      }
    }
    if (!c.running && !c.finished && c.backoff->CanStart()) StartContainer(pod, run, c);
    if (c.running) ProbeContainer(run, c);
  }
  bool ready = !run.containers.empty();
  for (auto& c : run.containers) {
    bool c_ready = c->running && (c->readiness ? c->readiness->ready() : c->port_open) &&
                   (!c->startup || c->startup->started());
    ready &= c_ready;
  }
  if (ready != run.ready || run.ready_changed_wall == 0) {
    run.ready = ready;
    run.ready_changed_wall = clock_.WallNanos();
  }
  api::json status = StatusOf(pod, run);
  if (status != run.last_status) {
    api::WriteOptions options;
    options.field_manager = kFieldManager;
    if (objects_.ReplaceStatus(target, status, "", options).ok()) run.last_status = status;
  }
}

void Kubelet::StartContainer(const api::json& pod, PodRun& run, ContainerRun& c) {
  ContainerRequest req;
  req.image = JsonString(c.spec, "image");
  if (const api::json& v = JsonMember(c.spec, "command"); v.is_array()) {
    req.command = v.get<std::vector<std::string>>();
  }
  if (const api::json& v = JsonMember(c.spec, "args"); v.is_array()) {
    req.args = v.get<std::vector<std::string>>();
  }
  if (std::string wd = JsonString(c.spec, "workingDir"); !wd.empty()) req.working_dir = wd;
  const api::json& psc = JsonMember(JsonMember(pod, "spec"), "securityContext");
  const api::json& csc = JsonMember(c.spec, "securityContext");
  for (const api::json* sc : {&psc, &csc}) {
    if (JsonMember(*sc, "runAsUser").is_number_integer())
      req.run_as_user = JsonInt(*sc, "runAsUser", 0);
    if (JsonMember(*sc, "runAsGroup").is_number_integer()) {
      req.run_as_group = JsonInt(*sc, "runAsGroup", 0);
    }
  }
  req.runtime.pod_name = run.name;
  req.runtime.pod_namespace = run.ns;
  req.runtime.pod_ip = run.ip;
  const api::json& ports = JsonMember(c.spec, "ports");
  if (ports.is_array() && !ports.empty()) {
    auto it = run.ports.find(JsonInt(ports[0], "containerPort", 0));
    if (it != run.ports.end()) req.runtime.port = static_cast<int>(it->second);
  }
  for (const auto& [container_port, given] : run.ports) {
    req.env.emplace_back("PORT_" + std::to_string(container_port), std::to_string(given));
  }
  if (const api::json& env = JsonMember(c.spec, "env"); env.is_array()) {
    for (const api::json& e : env) {
      std::string name = JsonString(e, "name");
      if (JsonMember(e, "value").is_string()) {
        req.env.emplace_back(name, JsonString(e, "value"));
        continue;
      }
      std::string field =
          JsonString(JsonMember(JsonMember(e, "valueFrom"), "fieldRef"), "fieldPath");
      std::string value;
      if (field == "metadata.name")
        value = run.name;
      else if (field == "metadata.namespace")
        value = run.ns;
      else if (field == "metadata.uid")
        value = run.uid;
      else if (field == "status.podIP")
        value = run.ip;
      else if (field == "status.hostIP")
        value = "127.0.0.1";
      else if (field == "spec.nodeName")
        value = options_.node_name;
      else if (field == "spec.serviceAccountName") {
        value = JsonString(JsonMember(pod, "spec"), "serviceAccountName");
      }
      req.env.emplace_back(name, value);
    }
  }
  Result<ResolvedProcess> resolved = Resolve(catalog_, req, identity_);
  if (!resolved.ok()) {
    // As the kubelet reports an image it cannot pull: ErrImagePull, then ImagePullBackOff while
    // it waits to try again.
    c.waiting_reason = c.pull_failures++ == 0 ? "ErrImagePull" : "ImagePullBackOff";
    c.waiting_message = resolved.status().message();
    (void)c.backoff->OnExited(RestartPolicy::kAlways, 1, false);
    return;
  }
  int restart = c.backoff->state().restart_count + (c.log_restart >= 0 ? 1 : 0);
  if (c.log_restart < 0) restart = 0;
  std::string path = LogPath(run.uid, c.name, restart);
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  Result<std::unique_ptr<ContainerLogWriter>> log =
      ContainerLogWriter::Open(path, options_.log_limits);
  SpawnSpec spec;
  spec.argv = resolved->argv;
  spec.env = resolved->env;
  spec.working_dir = resolved->working_dir;
  spec.uid = resolved->uid;
  spec.gid = resolved->gid;
  if (log.ok()) spec.output = std::shared_ptr<OutputSink>(std::move(*log));
  Result<ProcessId> pid = supervisor_.Spawn(std::move(spec));
  if (!pid.ok()) {
    c.waiting_reason = "RunContainerError";
    c.waiting_message = pid.status().message();
    (void)c.backoff->OnExited(RestartPolicy::kAlways, 1, false);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(logs_->mu);
    auto& entry = logs_->paths[run.ns + "/" + run.name][c.name];
    entry.second = entry.first;
    entry.first = path;
  }
  c.log_restart = restart;
  c.resolved = std::move(*resolved);
  c.pid = *pid;
  c.running = true;
  c.started_wall = clock_.WallNanos();
  c.backoff->OnStarted();
  c.waiting_reason.clear();
  c.waiting_message.clear();
  for (ProbeTracker* t : {c.readiness.get(), c.liveness.get(), c.startup.get()}) {
    if (t) t->ContainerStarted();
  }
}

void Kubelet::ProbeContainer(PodRun& run, ContainerRun& c) {
  auto port_of = [&](const api::json& port) -> int {
    int64_t container_port = 0;
    if (port.is_number_integer()) {
      container_port = port.get<int64_t>();
    } else if (port.is_string()) {
      for (const api::json& p : JsonMember(c.spec, "ports")) {
        if (JsonString(p, "name") == port.get<std::string>())
          container_port = JsonInt(p, "containerPort", 0);
      }
    }
    auto it = run.ports.find(container_port);
    return it == run.ports.end() ? static_cast<int>(container_port) : static_cast<int>(it->second);
  };
  auto run_probe = [&](const api::json& probe, ProbeTracker& t) {
    ProbeOutcome out;
    if (const api::json& g = JsonMember(probe, "httpGet"); g.is_object()) {
      HttpHeaders headers;
      for (const api::json& h : JsonMember(g, "httpHeaders"))
        headers.emplace_back(JsonString(h, "name"), JsonString(h, "value"));
      std::string host = JsonString(g, "host");
      out = HttpGet(host.empty() ? run.ip : host, port_of(JsonMember(g, "port")),
                    JsonString(g, "path").empty() ? "/" : JsonString(g, "path"), headers,
                    t.timeout());
    } else if (const api::json& s = JsonMember(probe, "tcpSocket"); s.is_object()) {
      std::string host = JsonString(s, "host");
      out = TcpSocket(host.empty() ? run.ip : host, port_of(JsonMember(s, "port")), t.timeout());
    } else if (const api::json& e = JsonMember(probe, "exec"); e.is_object() && c.resolved) {
      ExecProbeSpec spec;
      spec.argv = JsonMember(e, "command").get<std::vector<std::string>>();
      spec.env = c.resolved->env;
      spec.working_dir = c.resolved->working_dir;
      spec.uid = c.resolved->uid;
      spec.gid = c.resolved->gid;
      out = Exec(supervisor_, spec, t.timeout());
    }
    t.Record(out.success);
  };
  if (c.startup && !c.startup->started()) {
    if (c.startup->Due()) run_probe(JsonMember(c.spec, "startupProbe"), *c.startup);
    if (c.startup->kill_required() && c.pid) (void)supervisor_.Signal(*c.pid, SIGKILL);
    return;
  }
  if (c.liveness && c.liveness->Due()) {
    run_probe(JsonMember(c.spec, "livenessProbe"), *c.liveness);
    if (c.liveness->kill_required() && c.pid) (void)supervisor_.Signal(*c.pid, SIGKILL);
  }
  if (c.readiness) {
    if (c.readiness->Due()) run_probe(JsonMember(c.spec, "readinessProbe"), *c.readiness);
  } else if (!c.port_open) {
    const api::json& ports = JsonMember(c.spec, "ports");
    if (!ports.is_array() || ports.empty()) {
      c.port_open = true;  // nothing to wait for: ready once running
    } else {
      c.port_open = TcpSocket(run.ip, port_of(JsonMember(ports[0], "containerPort")),
                              std::chrono::milliseconds(200))
                        .success;
    }
  }
}

void Kubelet::BeginStopping(PodRun& run, int64_t revision, int64_t grace_s) {
  run.stopping = true;
  // The Pod is marked or gone: wait until the router has dropped it, then ask nicely.
  if (options_.wait_routed) options_.wait_routed(revision);
  for (auto& c : run.containers) {
    if (c->pid && c->running) (void)supervisor_.Signal(*c->pid, SIGTERM);
  }
  run.kill_at_mono = clock_.MonotonicNanos() + grace_s * 1'000'000'000;
}

bool Kubelet::FinishStopping(PodRun& run) {
  bool all = true;
  for (auto& c : run.containers) {
    if (!c->pid || !c->running) continue;
    if (supervisor_.Exited(*c->pid)) {
      c->running = false;
      supervisor_.Forget(*c->pid);
      continue;
    }
    all = false;
    if (clock_.MonotonicNanos() >= run.kill_at_mono) (void)supervisor_.Signal(*c->pid, SIGKILL);
  }
  return all;
}

api::json Kubelet::StatusOf(const api::json& pod, const PodRun& run) const {
  api::json statuses = api::json::array();
  bool any_running = false, all_finished = !run.containers.empty(), any_failed = false;
  for (const auto& c : run.containers) {
    bool ready = c->running && (c->readiness ? c->readiness->ready() : c->port_open) &&
                 (!c->startup || c->startup->started());
    api::json s = {{"name", c->name},
                   {"image", JsonString(c->spec, "image")},
                   {"imageID", ""},
                   {"ready", ready},
                   {"started", c->running && (!c->startup || c->startup->started())},
                   {"restartCount", c->backoff->state().restart_count}};
    if (c->running) {
      s["state"] = {{"running", {{"startedAt", api::FormatTimestamp(c->started_wall)}}}};
      s["containerID"] = "process://" + std::to_string(c->pid ? c->pid->pid : 0);
      any_running = true;
    } else if (c->finished && c->terminated) {
      s["state"] = {{"terminated", *c->terminated}};
      any_failed |= JsonInt(*c->terminated, "exitCode", 0) != 0;
    } else {
      api::json waiting = {{"reason", c->waiting_reason}};
      if (!c->waiting_message.empty()) waiting["message"] = c->waiting_message;
      s["state"] = {{"waiting", waiting}};
    }
    all_finished &= c->finished;
    if (c->last_terminated && !(c->finished && c->terminated)) {
      s["lastState"] = {{"terminated", *c->last_terminated}};
    } else {
      s["lastState"] = api::json::object();
    }
    statuses.push_back(std::move(s));
  }
  std::string phase = "Pending";
  if (all_finished) {
    phase = any_failed ? "Failed" : "Succeeded";
  } else if (any_running || std::any_of(run.containers.begin(), run.containers.end(),
                                        [](const auto& c) { return c->last_terminated; })) {
    phase = "Running";
  }
  std::string start = api::FormatTimestamp(run.start_wall);
  std::string changed = api::FormatTimestamp(run.ready_changed_wall);
  const char* ready = run.ready ? "True" : "False";
  auto condition = [&](const char* type, const char* status, const std::string& at) {
    api::json c = {
        {"type", type}, {"status", status}, {"lastTransitionTime", at}, {"lastProbeTime", nullptr}};
    if (std::string(status) == "False") c["reason"] = "ContainersNotReady";
    return c;
  };
  (void)pod;
  return {{"phase", phase},
          {"conditions",
           api::json::array(
               {condition("PodScheduled", "True", start), condition("Initialized", "True", start),
                condition("ContainersReady", ready, changed), condition("Ready", ready, changed)})},
          {"hostIP", "127.0.0.1"},
          {"podIP", run.ip},
          {"podIPs", api::json::array({{{"ip", run.ip}}})},
          {"startTime", start},
          {"qosClass", "BestEffort"},
          {"containerStatuses", std::move(statuses)}};
}

api::ApiResult<api::HttpResponse> Kubelet::Logs(const api::PodLogRequest& request) {
  std::map<std::string, std::pair<std::string, std::string>> containers;
  {
    std::lock_guard<std::mutex> lock(logs_->mu);
    auto it = logs_->paths.find(request.ns + "/" + request.pod);
    if (it != logs_->paths.end()) containers = it->second;
  }
  if (containers.empty()) {
    return api::BadRequestError("container is waiting to start: no logs yet for pod \"" +
                                request.pod + "\"");
  }
  std::string container = request.container;
  if (container.empty()) {
    if (containers.size() > 1) {
      std::string names;
      for (const auto& [name, paths] : containers) names += (names.empty() ? "" : " ") + name;
      return api::BadRequestError("a container name must be specified for pod " + request.pod +
                                  ", choose one of: [" + names + "]");
    }
    container = containers.begin()->first;
  }
  auto it = containers.find(container);
  if (it == containers.end()) {
    return api::BadRequestError("container " + container + " is not valid for pod " + request.pod);
  }
  std::string path = request.previous ? it->second.second : it->second.first;
  if (path.empty()) {
    return api::BadRequestError("previous terminated container \"" + container + "\" in pod \"" +
                                request.pod + "\" not found");
  }
  ReadLogOptions options;
  options.tail_lines = request.tail_lines;
  options.limit_bytes = request.limit_bytes;
  options.rotated_files = options_.log_limits.rotated_files;
  Result<LogText> text = ReadLog(path, options);
  if (!text.ok()) return api::BadRequestError(text.status().message());
  if (!request.follow) {
    api::HttpResponse r = api::HttpResponse::Text(200, std::move(text->text));
    return r;
  }
  auto stream = std::make_shared<api::ResponseStream>();
  api::HttpResponse r;
  r.status = 200;
  r.SetHeader("Content-Type", "text/plain");
  r.stream = stream;
  if (!text->text.empty()) stream->Send(std::move(text->text));
  // Followed by a thread of its own that polls the file until the client goes or the Pod's
  // log is replaced (a restart starts a new file, as kubectl logs -f ends then too).
  std::thread([stream, path, cursor = text->cursor, logs = logs_,
               key = request.ns + "/" + request.pod, container]() mutable {
    for (int i = 0; i < 10 * 3600 * 24 && !stream->ended(); ++i) {
      Result<std::string> more = ReadNewLogBytes(path, cursor);
      if (more.ok() && !more->empty()) {
        if (!stream->Send(std::move(*more))) break;
        continue;
      }
      {
        std::lock_guard<std::mutex> lock(logs->mu);
        auto it = logs->paths.find(key);
        if (logs->closed || it == logs->paths.end() || it->second[container].first != path) {
          break;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    stream->Close();
  }).detach();
  return r;
}

}  // namespace canaryd::workload

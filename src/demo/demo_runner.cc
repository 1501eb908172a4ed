#include "demo/demo_runner.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "api/object_util.h"
#include "client/commands.h"
#include "client/http_client.h"
#include "demo/child_process.h"
#include "demo/demo_manifests.h"
#include "demo/progress_view.h"
#include "demo/traffic_generator.h"

namespace canaryd::demo {
namespace {

using api::JsonInt;
using api::JsonMember;
using api::JsonString;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::atomic<bool> g_stop{false};

// Receives SIGINT, SIGTERM and SIGHUP (blocked in every other thread) until `done`.
class SignalWatcher {
 public:
  SignalWatcher() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    thread_ = std::thread([this] {
      timespec tick{0, 200'000'000};
      while (!done_) {
        if (sigtimedwait(&set_, nullptr, &tick) > 0) g_stop = true;
      }
    });
  }
  ~SignalWatcher() {
    done_ = true;
    thread_.join();
  }

 private:
  sigset_t set_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

// Sleeps up to `d`; false when the demo was interrupted.
bool Pause(std::chrono::milliseconds d) {
  Clock::time_point end = Clock::now() + d;
  while (!g_stop && Clock::now() < end) {
    std::this_thread::sleep_for(
        std::min<Clock::duration>(end - Clock::now(), std::chrono::milliseconds(100)));
  }
  return !g_stop;
}

struct Interrupted {};

class Demo {
 public:
  explicit Demo(const DemoOptions& o) : o_(o), tty_(isatty(STDOUT_FILENO) != 0) {}
  ~Demo() { Cleanup(); }

  int Run();

 private:
  void Say(const std::string& line) {
    EndLive();
    std::cout << line << "\n" << std::flush;
  }
  // A command's output, each line indented under the command.
  void SayIndented(const std::string& text) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) Say("  " + line);
  }
  void Title(const std::string& line) {
    EndLive();
    if (tty_) {
      std::cout << "\n\033[1m" << line << "\033[0m\n" << std::flush;
    } else {
      std::cout << "\n== " << line << "\n" << std::flush;
    }
  }
  // The live line: redrawn in place on a terminal; elsewhere printed when it changes, at most
  // every 5 s when only the figures move.
  void Live(const std::string& key, const std::string& line) {
    if (tty_) {
      std::cout << "\r\033[K" << line.substr(0, 400) << std::flush;
      live_open_ = true;
      return;
    }
    if (key != live_key_ || Clock::now() - live_printed_ > std::chrono::seconds(5)) {
      std::cout << "  " << line << "\n" << std::flush;
      live_key_ = key;
      live_printed_ = Clock::now();
    }
  }
  void EndLive() {
    if (live_open_) std::cout << "\n";
    live_open_ = false;
  }
  void Check() {
    if (g_stop) throw Interrupted{};
  }
  void Fail(const std::string& why) {
    Say("demo: " + why);
    failed_ = true;
  }

  bool StartCanaryd();
  bool WaitReady();
  void Apply(const Manifest& m);
  void ApplyFile(const std::string& path, const std::string& shown);
  void ApplyWalkthrough(WalkthroughFile f);
  bool WaitPodsReady(const std::string& version);
  // One request to the site: the version that answered ("-" for none), and whether it was 200.
  std::string AskSite(bool* ok);
  bool WaitSiteServes(const std::string& version);
  void ShowPods();
  void ShowSplit(std::chrono::seconds over);
  std::string Follow(int act, const std::string& until);
  void PrintNewEvents();
  void BetweenActs(const std::string& next);
  void Cleanup();
  json GetJson(const std::string& path);

  DemoOptions o_;
  bool tty_;
  bool live_open_ = false;
  std::string live_key_;
  Clock::time_point live_printed_{};
  bool failed_ = false;
  std::string dir_;
  pid_t child_ = -1;
  std::unique_ptr<client::HttpClient> api_;
  std::unique_ptr<client::HttpClient> site_;  // the main thread's; the users have their own
  std::unique_ptr<TrafficGenerator> traffic_;
  std::set<std::string> seen_events_;
};

json Demo::GetJson(const std::string& path) {
  Result<client::HttpResult> r = api_->Request("GET", path);
  if (!r.ok() || r->status != 200) return json();
  return json::parse(r->body, nullptr, false);
}

bool Demo::StartCanaryd() {
  char tmpl[] = "/tmp/canaryd-demo-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    Fail(std::string("cannot make a data directory: ") + std::strerror(errno));
    return false;
  }
  dir_ = tmpl;
  std::filesystem::create_directories(dir_ + "/manifests");
  std::string self = o_.canaryd_path;
  if (self.empty()) {
    std::error_code ec;
    self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  }
  std::vector<std::string> args = {self,
                                   "--admin",
                                   "127.0.0.1:" + std::to_string(o_.admin_port),
                                   "--data-dir",
                                   dir_ + "/data",
                                   "--port-map",
                                   "80=" + std::to_string(o_.site_port),
                                   "--listen-host",
                                   "127.0.0.1",
                                   "--drain-timeout",
                                   "1s"};
  std::string error;
  child_ = SpawnChild(args, dir_ + "/canaryd.log", &error);
  if (child_ < 0) {
    Fail(error);
    return false;
  }
  Say("canaryd: started (pid " + std::to_string(child_) + "), data and log in " + dir_);
  client::ClientOptions copts;
  copts.server = "http://127.0.0.1:" + std::to_string(o_.admin_port);
  copts.timeout_ms = 10'000;
  api_ = std::make_unique<client::HttpClient>(copts);
  copts.server = "http://127.0.0.1:" + std::to_string(o_.site_port);
  copts.timeout_ms = 2000;
  site_ = std::make_unique<client::HttpClient>(copts);
  return WaitReady();
}

bool Demo::WaitReady() {
  Clock::time_point end = Clock::now() + std::chrono::seconds(30);
  while (Clock::now() < end) {
    Check();
    if (ChildExited(child_)) {
      child_ = -1;
      std::ifstream in(dir_ + "/canaryd.log");
      std::stringstream ss;
      ss << in.rdbuf();
      Fail("canaryd exited at start (is port " + std::to_string(o_.admin_port) + " or " +
           std::to_string(o_.site_port) + " taken? --admin-port and --site-port choose others):\n" +
           ss.str());
      return false;
    }
    Result<client::HttpResult> r = api_->Request("GET", "/readyz");
    if (r.ok() && r->status == 200) return true;
    Pause(std::chrono::milliseconds(100));
  }
  Fail("canaryd did not become ready in 30 s; see " + dir_ + "/canaryd.log");
  return false;
}

void Demo::Apply(const Manifest& m) {
  std::string path = dir_ + "/manifests/" + m.file;
  std::ofstream(path) << m.yaml;
  ApplyFile(path, m.file);
}

void Demo::ApplyFile(const std::string& path, const std::string& shown) {
  Say("$ kubectl apply -f " + shown);
  std::ostringstream out, err;
  int rc = client::RunApply(*api_, {path}, false, "default", {out, err});
  SayIndented(out.str() + err.str());
  if (rc != 0) Fail("applying " + shown + " failed");
}

void Demo::ApplyWalkthrough(WalkthroughFile f) {
  if (o_.seed_dir.empty()) return Apply(WalkthroughManifest(f));
  ApplyFile(o_.seed_dir + "/" + kWalkthroughFiles[f], kWalkthroughFiles[f]);
}

bool Demo::WaitPodsReady(const std::string& version) {
  Clock::time_point end = Clock::now() + std::chrono::seconds(30);
  while (Clock::now() < end) {
    Check();
    json pods =
        GetJson("/api/v1/namespaces/default/pods?labelSelector=app%3Dweb%2Cversion%3D" + version);
    const json& items = JsonMember(pods, "items");
    if (items.is_array() && !items.empty() &&
        std::all_of(items.begin(), items.end(), [](const json& p) {
          const json& cs = JsonMember(JsonMember(p, "status"), "containerStatuses");
          return cs.is_array() && !cs.empty() && JsonMember(cs[0], "ready") == true;
        })) {
      return true;
    }
    Pause(std::chrono::milliseconds(200));
  }
  Fail("the Pods of web-" + version + " are not ready after 30 s");
  return false;
}

std::string Demo::AskSite(bool* ok) {
  Result<client::HttpResult> r = site_->Request("GET", "/", "", "", "text/plain");
  *ok = r.ok() && r->status == 200;
  std::string version = r.ok() ? r->Header("x-version") : "";
  return version.empty() ? "-" : version;
}

bool Demo::WaitSiteServes(const std::string& version) {
  Clock::time_point end = Clock::now() + std::chrono::seconds(20);
  while (Clock::now() < end) {
    Check();
    bool ok = false;
    if (AskSite(&ok) == version && ok) return true;
    Pause(std::chrono::milliseconds(100));
  }
  Fail("the site does not serve " + version + " after 20 s");
  return false;
}

void Demo::ShowPods() {
  Say("$ kubectl get pods");
  std::ostringstream out, err;
  client::GetOptions get;
  get.resource = "pods";
  client::RunGet(*api_, get, {out, err});
  SayIndented(out.str() + err.str());
}

void Demo::ShowSplit(std::chrono::seconds over) {
  AnswerCounts d;
  if (traffic_) {
    AnswerCounts before = traffic_->Counts();
    if (!Pause(over)) Check();
    d = Difference(traffic_->Counts(), before);
  } else {
    // No steady traffic: a sample of 200 requests shows the split.
    for (int i = 0; i < 200; ++i) {
      Check();
      bool ok = false;
      VersionCounts& c = d[AskSite(&ok)];
      (ok ? c.ok : c.failed)++;
    }
  }
  Say("  observed at http://127.0.0.1:" + std::to_string(o_.site_port) + "/: " + SplitLine(d));
}

void Demo::PrintNewEvents() {
  json events = GetJson("/api/v1/namespaces/default/events");
  const json& items = JsonMember(events, "items");
  if (!items.is_array()) return;
  for (const json& e : items) {
    if (JsonString(JsonMember(e, "involvedObject"), "kind") != "Canary") continue;
    // A repeated event is the same object with a higher count: shown again.
    std::string key = api::MetaString(e, "name") + "/" + std::to_string(JsonInt(e, "count", 1));
    if (!seen_events_.insert(key).second) continue;
    Say("  decision: " + JsonString(e, "reason") + ": " + JsonString(e, "message"));
  }
}

// Follows the Canary until its phase is Succeeded or Failed; returns that phase ("" on timeout).
std::string Demo::Follow(int act, const std::string& until) {
  Clock::time_point end = Clock::now() + std::chrono::seconds(o_.act_timeout_s);
  std::string phase;
  while (Clock::now() < end) {
    Check();
    json canary = GetJson("/apis/canaryd.io/v1alpha1/namespaces/default/canaries/web");
    json stats = GetJson("/stats/destinations?window=10s");
    PrintNewEvents();
    const json& status = JsonMember(canary, "status");
    phase = JsonString(status, "phase");
    // The status of the spec before the apply is not this act's end.
    if (JsonInt(status, "observedGeneration", 0) <
        JsonInt(JsonMember(canary, "metadata"), "generation", 0)) {
      phase = "";
    }
    std::string key = phase + "/" + std::to_string(JsonInt(status, "step", 0)) + "/" +
                      std::to_string(JsonInt(status, "failedChecks", 0));
    Live(key, "[act " + std::to_string(act) + "] " + ProgressLine(canary, stats));
    if (phase == "Succeeded" || phase == "Failed") {
      EndLive();
      Say("  => " + DecisionLine(canary));
      if (phase != until) Fail("act " + std::to_string(act) + " ended " + phase + ", not " + until);
      return phase;
    }
    Pause(std::chrono::seconds(1));
  }
  Fail("act " + std::to_string(act) + " did not end in " + std::to_string(o_.act_timeout_s) +
       " s (phase " + phase + ")");
  return "";
}

void Demo::BetweenActs(const std::string& next) {
  if (o_.non_interactive) return;
  if (isatty(STDIN_FILENO)) {
    Say("\n-- press Enter for " + next + " (Ctrl-C stops the demo) --");
    while (!g_stop) {
      pollfd p{STDIN_FILENO, POLLIN, 0};
      if (poll(&p, 1, 200) > 0) {
        std::string line;
        std::getline(std::cin, line);
        break;
      }
    }
    Check();
  } else {
    Pause(std::chrono::seconds(3));
    Check();
  }
}

void Demo::Cleanup() {
  if (traffic_) traffic_->Stop();
  traffic_.reset();
  api_.reset();
  site_.reset();
  if (child_ > 0) {
    // canaryd stops its Pods (SIGTERM, then SIGKILL after their grace period) before it exits.
    StopChild(child_, std::chrono::seconds(40));
    child_ = -1;
  }
  if (!dir_.empty() && !o_.keep_data) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  dir_.clear();
}

int Demo::Run() {
  std::string interval = o_.interval.empty() ? (o_.non_interactive ? "2s" : "5s") : o_.interval;
  std::string site = "http://127.0.0.1:" + std::to_string(o_.site_port) + "/";
  std::string admin = "http://127.0.0.1:" + std::to_string(o_.admin_port);
  try {
    Title("canaryd demo: the walkthrough of canary releases, on this machine");
    if (!StartCanaryd()) return 1;
    std::ofstream(dir_ + "/kubeconfig") << client::Kubeconfig(admin, "");
    Say("  the site:       " + site + " (the Gateway's port 80)");
    Say("  the dashboard:  " + admin + "/ui/");
    Say("  kubectl:        KUBECONFIG=" + dir_ + "/kubeconfig kubectl get pods,vs,canaries");

    Title("Act 1: the walkthrough by hand: v1, then 90/10");
    ApplyWalkthrough(kV1Deployment);
    ApplyWalkthrough(kV2Deployment);
    ApplyWalkthrough(kV1Service);
    ApplyWalkthrough(kV2Service);
    ApplyWalkthrough(kGatewayAndVirtualService);
    if (failed_ || !WaitPodsReady("v1") || !WaitPodsReady("v2") || !WaitSiteServes("v1")) {
      return 1;
    }
    ShowPods();
    if (o_.traffic) {
      traffic_ = std::make_unique<TrafficGenerator>(site.substr(0, site.size() - 1), o_.rate);
      traffic_->Start();
      Say("  traffic: " + std::to_string(static_cast<int>(o_.rate)) +
          " requests/s to the site (--rate, --no-traffic)");
    }
    ShowSplit(std::chrono::seconds(3));
    ApplyWalkthrough(kNinetyTenVirtualService);
    Pause(std::chrono::milliseconds(500));
    ShowSplit(std::chrono::seconds(5));
    if (failed_) return 1;

    BetweenActs("act 2");
    Title("Act 2: the conclusion automated: a Canary shifts web from v1 to v2 by itself");
    Say("  every " + interval +
        ": check v2's success rate (>= 99%, and at most 1 point below v1's) and p99 (<= 500 "
        "ms); the sequential test watches every second; weight 10, 25, 50, then promote");
    Apply(CanaryManifest("web-v1-service", "web-v2-service", interval));
    std::string act2 = Follow(2, "Succeeded");
    if (act2.empty() || failed_) return 1;
    ShowSplit(std::chrono::seconds(3));

    BetweenActs("act 3");
    Title("Act 3: a faulty v3 is rolled back by itself");
    char rate[16];
    std::snprintf(rate, sizeof rate, "%.0f%%", o_.v3_error_rate * 100);
    Say(std::string("  v3 answers ") + rate + " of its requests with 503");
    Apply(V3Manifest(o_.v3_error_rate));
    if (failed_ || !WaitPodsReady("v3")) return 1;
    AnswerCounts before = traffic_ ? traffic_->Counts() : AnswerCounts();
    Apply(CanaryManifest("web-v2-service", "web-v3-service", interval));
    std::string act3 = Follow(3, "Failed");
    if (act3.empty() || failed_) return 1;
    if (traffic_) {
      AnswerCounts d = Difference(traffic_->Counts(), before);
      int64_t total = 0;
      for (const auto& [v, c] : d) total += c.ok + c.failed;
      Say("  users saw " + std::to_string(FailedRequests(d)) + " failed requests of " +
          std::to_string(total) + " during act 3 (" + SplitLine(d) + ")");
    }
    ShowSplit(std::chrono::seconds(3));

    Title(std::string("The end: v2 serves, v3 was rolled back.") +
          (o_.non_interactive ? "" : " The demo keeps running; Ctrl-C stops it."));
    if (!o_.non_interactive) {
      while (Pause(std::chrono::seconds(1))) {
      }
      throw Interrupted{};
    }
    Cleanup();
    Say("demo: every act ended as expected; canaryd and its Pods are stopped");
    return 0;
  } catch (const Interrupted&) {
    Say("\ndemo: interrupted; stopping the traffic, canaryd and its Pods");
    Cleanup();
    Say("demo: stopped");
    return 130;
  }
}

}  // namespace

int RunDemo(const DemoOptions& options) {
  g_stop = false;
  SignalWatcher signals;
  Demo demo(options);
  return demo.Run();
}

int DemoMain(int argc, char** argv) {
  CLI::App app{
      "canaryd demo: the walkthrough of canary releases as one command, on loopback with a "
      "fresh data directory"};
  app.name("canaryd demo");
  DemoOptions o;
  bool no_traffic = false;
  app.add_flag("--non-interactive", o.non_interactive,
               "Run every act to its end without pausing, then stop and exit (0: as expected)");
  app.add_flag("--no-traffic", no_traffic, "No built-in traffic: send your own to the site");
  app.add_option("--rate", o.rate, "Requests per second of the built-in traffic")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 2000.0));
  app.add_option("--interval", o.interval,
                 "The Canaries' analysis interval (default 5s; 2s with --non-interactive)");
  app.add_option("--site-port", o.site_port, "Local port of the Gateway's port 80")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  app.add_option("--admin-port", o.admin_port, "Local port of the resource API and dashboard")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  app.add_option("--seed-dir", o.seed_dir,
                 "Apply the walkthrough's own files from this directory instead of the embedded "
                 "ones (web-v1-deployment.yaml, ...)");
  app.add_option("--v3-error-rate", o.v3_error_rate, "Share of v3's answers that are 503")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--act-timeout", o.act_timeout_s, "Seconds an act may take before the demo fails")
      ->capture_default_str()
      ->check(CLI::Range(10, 3600));
  app.add_flag("--keep-data", o.keep_data, "Keep the data directory and canaryd's log afterwards");
  CLI11_PARSE(app, argc, argv);
  o.traffic = !no_traffic;
  if (!o.seed_dir.empty() &&
      !std::filesystem::exists(o.seed_dir + "/" + kWalkthroughFiles[kV1Deployment])) {
    std::cerr << "--seed-dir " << o.seed_dir << ": no " << kWalkthroughFiles[kV1Deployment]
              << " there\n";
    return 2;
  }
  return RunDemo(o);
}

}  // namespace canaryd::demo

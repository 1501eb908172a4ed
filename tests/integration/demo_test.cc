// `canaryd demo`, as a newcomer runs it: --non-interactive plays the three acts to their ends
// (v2 promoted, v3 rolled back, as the API shows while it runs) and exits 0 with nothing left
// running; Ctrl-C in the middle of act 2 stops canaryd and every Pod and removes the data.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <re2/re2.h>
#include <nlohmann/json.hpp>

#include "integration/harness.h"
#include "testing/paths.h"

namespace canaryd::testing {
namespace {

using namespace std::chrono_literals;

// Every process below `root`, by the parent pids in /proc.
std::set<int> Descendants(int root) {
  std::map<int, int> parent;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(e.path() / "stat");
    std::string stat;
    std::getline(in, stat);
    size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    char state = 0;
    int ppid = 0;
    rest >> state >> ppid;
    parent[std::stoi(name)] = ppid;
  }
  std::set<int> out;
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& [pid, ppid] : parent) {
      if ((ppid == root || out.count(ppid)) && out.insert(pid).second) grew = true;
    }
  }
  return out;
}

std::set<int> Alive(const std::set<int>& pids) {
  std::set<int> alive;
  for (int p : pids) {
    if (kill(p, 0) == 0) alive.insert(p);
  }
  return alive;
}

class DemoTest : public ::testing::Test {
 protected:
  std::unique_ptr<Process> StartDemo(std::vector<std::string> flags) {
    std::vector<std::string> argv = {(BinaryDir() / "bin" / "canaryd").string(),
                                     "demo",
                                     "--site-port",
                                     std::to_string(site_port_),
                                     "--admin-port",
                                     std::to_string(admin_port_)};
    argv.insert(argv.end(), flags.begin(), flags.end());
    std::string error;
    auto p = Process::Spawn({.argv = argv}, &error);
    EXPECT_NE(p, nullptr) << error;
    return p;
  }
  // The demo's data directory, from its first lines.
  std::string DataDir(const Process& p) {
    std::string dir;
    RE2::PartialMatch(p.Stdout(), R"(data and log in (\S+))", &dir);
    return dir;
  }

  uint16_t site_port_ = FreePort();
  uint16_t admin_port_ = FreePort();
};

TEST_F(DemoTest, NonInteractivePlaysAllThreeActsToTheirEndsAndLeavesNothingRunning) {
  std::vector<std::string> flags = {"--non-interactive"};
  std::string shared = SharedDir();
  if (!shared.empty()) {
    flags.push_back("--seed-dir");  // the walkthrough's own files, applied unchanged
    flags.push_back(shared + "/seed");
  }
  auto demo = StartDemo(flags);
  ASSERT_NE(demo, nullptr);
  // While it plays: the phases the API shows for each canary destination, and every process
  // the demo started (canaryd, the Pods).
  std::map<std::string, std::set<std::string>> phases;
  std::set<int> started;
  std::optional<int> exit;
  auto deadline = std::chrono::steady_clock::now() + 200s;
  while (!(exit = demo->Wait(300ms)) && std::chrono::steady_clock::now() < deadline) {
    for (int p : Descendants(demo->pid())) started.insert(p);
    HttpReply r = Http(admin_port_, "GET",
                       "/apis/canaryd.io/v1alpha1/namespaces/default/canaries/web", "", {}, 2s);
    if (r.status != 200) continue;
    nlohmann::json c = nlohmann::json::parse(r.body, nullptr, false);
    if (!c.is_object() || !c.contains("status")) continue;
    if (c["status"].value("observedGeneration", 0) < c["metadata"].value("generation", 0)) continue;
    phases[c["spec"]["canary"].value("host", "")].insert(c["status"].value("phase", ""));
  }
  ASSERT_TRUE(exit.has_value()) << "the demo did not end in 200 s\n" << demo->Stdout();
  std::string out = demo->Stdout();
  EXPECT_EQ(*exit, 0) << out << demo->Stderr();
  EXPECT_TRUE(phases["web-v2-service"].count("Succeeded")) << out;
  EXPECT_TRUE(phases["web-v3-service"].count("Failed")) << out;
  EXPECT_FALSE(phases["web-v3-service"].count("Succeeded")) << out;
  // Act 1's split as the terminal shows it, then each act's end.
  EXPECT_TRUE(RE2::PartialMatch(out, R"(observed at \S+: v1 100\.0% of \d+ requests)")) << out;
  EXPECT_TRUE(RE2::PartialMatch(out, R"(observed at \S+: v1 (8\d|9\d)\.\d% · v2 \d+\.\d% of)"))
      << out;
  EXPECT_NE(out.find("=> Succeeded: promotion completed"), std::string::npos) << out;
  EXPECT_TRUE(RE2::PartialMatch(out, R"(users saw \d+ failed requests of \d+ during act 3)"))
      << out;
  EXPECT_NE(out.find("every act ended as expected"), std::string::npos) << out;
  EXPECT_EQ(out.find('\033'), std::string::npos) << "terminal escapes where stdout is no TTY";
  EXPECT_GE(started.size(), 4u) << "canaryd and three Pods at least";
  EXPECT_EQ(Alive(started), std::set<int>()) << "processes the demo left running";
  std::string dir = DataDir(*demo);
  ASSERT_FALSE(dir.empty()) << out;
  EXPECT_FALSE(std::filesystem::exists(dir)) << dir;
}

TEST_F(DemoTest, CtrlCInActTwoStopsCanarydAndEveryPod) {
  auto demo = StartDemo({"--interval", "5s"});
  ASSERT_NE(demo, nullptr);
  ASSERT_TRUE(demo->WaitForOutput("canary.canaryd.io/web created", 90s)) << demo->Stdout();
  std::set<int> started = Descendants(demo->pid());
  EXPECT_GE(started.size(), 3u) << "canaryd and the two Pods";
  ASSERT_EQ(kill(demo->pid(), SIGINT), 0);
  std::optional<int> exit = demo->Wait(60s);
  ASSERT_TRUE(exit.has_value()) << demo->Stdout();
  EXPECT_EQ(*exit, 130) << demo->Stdout();
  EXPECT_NE(demo->Stdout().find("demo: stopped"), std::string::npos) << demo->Stdout();
  EXPECT_EQ(Alive(started), std::set<int>()) << "processes the demo left running";
  std::string dir = DataDir(*demo);
  ASSERT_FALSE(dir.empty());
  EXPECT_FALSE(std::filesystem::exists(dir)) << dir;
}

}  // namespace
}  // namespace canaryd::testing

#include "client/rollout_commands.h"

#include <nlohmann/json.hpp>
#include <thread>

namespace canaryd::client {
namespace {

using nlohmann::json;

std::string Path(const RolloutOptions& o) {
  return "/apis/canaryd.io/v1alpha1/namespaces/" + (o.ns.empty() ? "default" : o.ns) +
         "/canaries/" + o.name;
}

std::string ErrorText(const HttpResult& r) {
  json j = json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("message") && j["message"].is_string()) {
    return j["message"].get<std::string>();
  }
  return "HTTP " + std::to_string(r.status);
}

// One line of the canary's state: "Progressing weight 20 failedChecks 1: <message>".
std::string StateLine(const json& canary) {
  const json& st = canary.value("status", json::object());
  std::string line = st.value("phase", std::string("Pending"));
  line += " weight " + std::to_string(st.value("canaryWeight", 0));
  line += " failedChecks " + std::to_string(st.value("failedChecks", 0));
  std::string message = st.value("message", std::string());
  if (!message.empty()) line += ": " + message;
  return line;
}

// Whether the status describes the spec as it is now (the controller has seen this generation).
bool Current(const json& canary) {
  int64_t generation = canary["metadata"].value("generation", int64_t{0});
  const json& st = canary.value("status", json::object());
  return st.value("observedGeneration", int64_t{0}) >= generation;
}

int Patch(HttpClient& client, const RolloutOptions& o, const json& patch, const char* done,
          Output io) {
  Result<HttpResult> r = client.Request("PATCH", Path(o) + "?fieldManager=canaryctl", patch.dump(),
                                        "application/merge-patch+json");
  if (!r.ok()) {
    io.err << "error: " << r.status().message() << "\n";
    return 1;
  }
  if (r->status != 200) {
    io.err << "Error from server: " << ErrorText(*r) << "\n";
    return 1;
  }
  io.out << "canary.canaryd.io/" << o.name << " " << done << "\n";
  return 0;
}

}  // namespace

int RunRollout(HttpClient& client, const RolloutOptions& o, Output io) {
  switch (o.action) {
    case RolloutAction::kPromote:
      return Patch(client, o, {{"metadata", {{"annotations", {{"canaryd.io/promote", "true"}}}}}},
                   "promotion requested", io);
    case RolloutAction::kAbort:
      return Patch(client, o, {{"metadata", {{"annotations", {{"canaryd.io/abort", "true"}}}}}},
                   "abort requested", io);
    case RolloutAction::kPause:
      return Patch(client, o, {{"spec", {{"suspend", true}}}}, "paused", io);
    case RolloutAction::kResume:
      return Patch(client, o, {{"spec", {{"suspend", false}}}}, "resumed", io);
    case RolloutAction::kStatus:
    case RolloutAction::kWatch:
      break;
  }
  auto start = std::chrono::steady_clock::now();
  std::string last;
  while (true) {
    Result<HttpResult> r = client.Request("GET", Path(o));
    if (!r.ok()) {
      io.err << "error: " << r.status().message() << "\n";
      return 1;
    }
    if (r->status != 200) {
      io.err << "Error from server: " << ErrorText(*r) << "\n";
      return 1;
    }
    json canary = json::parse(r->body, nullptr, false);
    if (!canary.is_object()) {
      io.err << "error: the server's answer is not JSON\n";
      return 1;
    }
    std::string line = StateLine(canary);
    std::string phase = canary.value("status", json::object()).value("phase", std::string());
    bool current = Current(canary);
    bool watching = o.action == RolloutAction::kWatch || o.wait;
    if (!watching) {
      io.out << line << "\n";
      return 0;
    }
    if (line != last) {
      io.out << line << "\n" << std::flush;
      last = line;
    }
    if (current && phase == "Succeeded") return 0;
    if (current && phase == "Failed") return 1;
    if (o.timeout.count() > 0 && std::chrono::steady_clock::now() - start >= o.timeout) {
      io.err << "error: timed out waiting for canary " << o.name << " (" << line << ")\n";
      return 2;
    }
    std::this_thread::sleep_for(o.poll);
  }
}

}  // namespace canaryd::client

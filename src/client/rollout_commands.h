// canaryctl rollout: status, watch, promote, abort, pause and resume of a Canary through
// canaryd's API. Each has a kubectl equivalent (printed by --help and in the README): promote
// and abort set an annotation the controller acts on once and removes, pause and resume set
// spec.suspend. `status --wait` exits 0 when the Canary's current revision Succeeded, 1 when it
// Failed, 2 on timeout, as a pipeline gates on `kubectl rollout status`. One command at a time
// (one HttpClient).
#pragma once

#include <chrono>
#include <string>

#include "client/commands.h"
#include "client/http_client.h"

namespace canaryd::client {

enum class RolloutAction { kStatus, kWatch, kPromote, kAbort, kPause, kResume };

struct RolloutOptions {
  RolloutAction action = RolloutAction::kStatus;
  std::string name;
  std::string ns;  // "" = default
  bool wait = false;
  std::chrono::milliseconds timeout{0};  // 0 = no limit (status --wait, watch)
  std::chrono::milliseconds poll{1000};
};

int RunRollout(HttpClient& client, const RolloutOptions& options, Output io);

}  // namespace canaryd::client

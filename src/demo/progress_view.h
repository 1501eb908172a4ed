// What the demo prints: the observed split of the users' answers, and the live line of a
// Canary's release (phase, step, weight, requests/s, success rate and p99 per version, failed
// checks, the sequential test's evidence) from the Canary as the API returns it and the
// gateway's /stats/destinations. Pure functions: any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "demo/traffic_generator.h"

namespace canaryd::demo {

// "v1 90.1% · v2 9.9% (503 requests)", with ", N failed" per version where some failed.
std::string SplitLine(const AnswerCounts& counts);

// Requests that failed, over all versions.
int64_t FailedRequests(const AnswerCounts& counts);

// One line: "Progressing step 2/3 weight 25% | v1 37.2 rps 100.0% p99 1.2 ms | v2 ... |
// failed checks 0/2 | sequential e=1.3 (rollback at 200)".
std::string ProgressLine(const nlohmann::json& canary, const nlohmann::json& destinations);

// The Canary's current decision: its status reason and message ("Advance: weight 25 ...").
std::string DecisionLine(const nlohmann::json& canary);

}  // namespace canaryd::demo

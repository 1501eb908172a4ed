// PublishYaml: loads a YAML configuration, compiles it and publishes the table to a running
// GatewayServer, returning once every worker serves it (a worker runs posted tasks in order, so a
// task posted after the table has run on each once each has switched to it and listens on its
// ports). For the proxy's in-process tests; call from the test's thread.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "config/loader.h"
#include "proxy/gateway_server.h"
#include "router/compiler.h"

namespace canaryd::testing {

inline ::testing::AssertionResult PublishYaml(proxy::GatewayServer& server, const std::string& yaml,
                                              uint64_t generation) {
  config::LoadResult loaded;
  config::LoadText(yaml, "test.yaml", {}, loaded);
  if (loaded.diagnostics.has_errors()) {
    return ::testing::AssertionFailure() << loaded.diagnostics.ToString();
  }
  router::CompileOptions co;
  co.generation = generation;
  auto compiled = router::Compiler::Compile(loaded.resources, co);
  if (!compiled.ok()) return ::testing::AssertionFailure() << compiled.status().ToString();
  server.Publish(compiled->table, compiled->ports);
  if (!server.RunOnEachWorker([](int) {})) {
    return ::testing::AssertionFailure() << "a worker did not take the table";
  }
  return ::testing::AssertionSuccess();
}

}  // namespace canaryd::testing

// Namespace deletion as Kubernetes does it (ObjectService and NamespaceController), and
// finalizers.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "api/memory_store_for_test.h"
#include "api/namespace_controller.h"
#include "api/object_service.h"

namespace canaryd::api {
namespace {

using config::Kind;

class NamespaceLifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(service_.EnsureSystemNamespaces().ok());
    ASSERT_TRUE(service_.Create(Ns(), Namespace("prod"), Opts()).ok());
    ASSERT_TRUE(service_.Create(Cm("", "prod"), ConfigMap("a"), Opts()).ok());
  }

  static Target Ns(const std::string& name = "") {
    return {&config::InfoOf(Kind::kNamespace), "v1", "", name};
  }
  static Target Cm(const std::string& name = "", const std::string& ns = "prod") {
    return {&config::InfoOf(Kind::kConfigMap), "v1", ns, name};
  }
  static json Namespace(const std::string& name) {
    return {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}};
  }
  static json ConfigMap(const std::string& name, json finalizers = json::array()) {
    json cm = {{"apiVersion", "v1"},
               {"kind", "ConfigMap"},
               {"metadata", {{"name", name}}},
               {"data", {{"k", "v"}}}};
    if (!finalizers.empty()) cm["metadata"]["finalizers"] = finalizers;
    return cm;
  }
  static WriteOptions Opts() {
    WriteOptions o;
    o.field_manager = "test";
    return o;
  }
  std::string Phase(const std::string& ns) {
    ApiResult<json> n = service_.Get(Ns(ns));
    return n.ok() ? (*n)["status"].value("phase", "") : "gone";
  }

  testing::MemoryStore store_;
  ManualClock clock_;
  ObjectService service_{store_, clock_};
};

TEST_F(NamespaceLifecycleTest, ADeletedNamespaceTerminatesAndRefusesNewContent) {
  ApiResult<WriteOutcome> del = service_.Delete(Ns("prod"), {});
  ASSERT_TRUE(del.ok()) << del.error().message;
  EXPECT_EQ(del->object["status"]["phase"], "Terminating");
  EXPECT_TRUE(del->object["metadata"]["deletionTimestamp"].is_string());
  EXPECT_EQ(Phase("prod"), "Terminating");

  ApiResult<WriteOutcome> create = service_.Create(Cm(), ConfigMap("b"), Opts());
  ASSERT_FALSE(create.ok());
  EXPECT_EQ(create.error().code, 403);
  EXPECT_EQ(create.error().message,
            "configmaps \"b\" is forbidden: unable to create new content in namespace prod "
            "because it is being terminated");
  ASSERT_EQ(create.error().causes.size(), 1u);
  EXPECT_EQ(create.error().causes[0].reason, "NamespaceTerminating");
  EXPECT_EQ(create.error().causes[0].field, "metadata.namespace");
  // What is there may still change, and be deleted.
  EXPECT_TRUE(service_.Patch(Cm("a"), PatchType::kMerge, R"({"data":{"k":"w"}})", Opts()).ok());
  // Deleting it again answers with it; the server keeps its deletionTimestamp whatever a
  // client writes.
  ApiResult<WriteOutcome> again = service_.Delete(Ns("prod"), {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->object["metadata"]["deletionTimestamp"],
            del->object["metadata"]["deletionTimestamp"]);
  EXPECT_TRUE(service_
                  .Patch(Ns("prod"), PatchType::kMerge,
                         R"({"metadata":{"deletionTimestamp":null,"labels":{"x":"y"}}})", Opts())
                  .ok());
  EXPECT_EQ(Phase("prod"), "Terminating");

  ApiResult<bool> done = service_.FinishNamespaceDeletion("prod");
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(*done);
  EXPECT_EQ(Phase("prod"), "gone");
  EXPECT_EQ(service_.Get(Cm("a")).error().code, 404);
  // An Active namespace is left alone; a dry run marks nothing.
  ASSERT_TRUE(service_.Create(Ns(), Namespace("qa"), Opts()).ok());
  EXPECT_FALSE(service_.FinishNamespaceDeletion("qa").value());
  DeleteOptions dry;
  dry.dry_run = true;
  EXPECT_EQ(service_.Delete(Ns("qa"), dry)->object["status"]["phase"], "Terminating");
  EXPECT_EQ(Phase("qa"), "Active");
}

TEST_F(NamespaceLifecycleTest, FinalizersHoldTheirObjectAndTheNamespace) {
  ASSERT_TRUE(
      service_.Create(Cm(), ConfigMap("held", json::array({"example.com/hold"})), Opts()).ok());
  ASSERT_TRUE(service_.Delete(Ns("prod"), {}).ok());
  EXPECT_FALSE(service_.FinishNamespaceDeletion("prod").value());
  EXPECT_EQ(service_.Get(Cm("a")).error().code, 404);
  ApiResult<json> held = service_.Get(Cm("held"));
  ASSERT_TRUE(held.ok());
  EXPECT_TRUE(held->at("metadata").contains("deletionTimestamp"));
  // No new finalizer on an object being deleted.
  ApiResult<WriteOutcome> more = service_.Patch(
      Cm("held"), PatchType::kMerge,
      R"({"metadata":{"finalizers":["example.com/hold","example.com/more"]}})", Opts());
  ASSERT_FALSE(more.ok());
  EXPECT_EQ(more.error().causes[0].message,
            "Forbidden: no new finalizers can be added if the object is being deleted, found new "
            "finalizers []string{\"example.com/more\"}");
  // Removing the last finalizer completes the deletion; then the namespace can go.
  ASSERT_TRUE(
      service_.Patch(Cm("held"), PatchType::kMerge, R"({"metadata":{"finalizers":null}})", Opts())
          .ok());
  EXPECT_EQ(service_.Get(Cm("held")).error().code, 404);
  EXPECT_TRUE(service_.FinishNamespaceDeletion("prod").value());
  EXPECT_EQ(Phase("prod"), "gone");
}

TEST_F(NamespaceLifecycleTest, AnObjectWithFinalizersOutsideATerminatingNamespace) {
  ASSERT_TRUE(
      service_.Create(Cm("", "default"), ConfigMap("f", json::array({"x.io/y"})), Opts()).ok());
  ApiResult<WriteOutcome> del = service_.Delete(Cm("f", "default"), {});
  ASSERT_TRUE(del.ok());
  EXPECT_TRUE(del->object["metadata"].contains("deletionTimestamp"));
  EXPECT_TRUE(service_.Get(Cm("f", "default")).ok());
  EXPECT_TRUE(service_
                  .Patch(Cm("f", "default"), PatchType::kJson,
                         R"([{"op":"remove","path":"/metadata/finalizers"}])", Opts())
                  .ok());
  EXPECT_EQ(service_.Get(Cm("f", "default")).error().code, 404);
}

// Waits (bounded) until `done` holds.
template <class F>
bool Eventually(F done, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

TEST_F(NamespaceLifecycleTest, TheControllerWaitsForQuietThenFinishes) {
  NamespaceController controller(
      service_, {.quiet = std::chrono::milliseconds(300), .retry = std::chrono::milliseconds(50)});
  ASSERT_TRUE(controller.Start().ok());
  ASSERT_TRUE(service_.Create(Cm(), ConfigMap("b"), Opts()).ok());
  auto deleted = std::chrono::steady_clock::now();
  ASSERT_TRUE(service_.Delete(Ns("prod"), {}).ok());
  // A client deleting the namespace's objects right after finds them.
  EXPECT_TRUE(service_.Delete(Cm("a"), {}).ok());
  EXPECT_TRUE(service_.Delete(Cm("b"), {}).ok());
  EXPECT_TRUE(Eventually([&] { return Phase("prod") == "gone"; }));
  EXPECT_GE(std::chrono::steady_clock::now() - deleted, std::chrono::milliseconds(300));
  controller.Stop();
}

TEST_F(NamespaceLifecycleTest, TheControllerPicksUpNamespacesLeftTerminating) {
  ASSERT_TRUE(service_.Delete(Ns("prod"), {}).ok());  // before any controller runs
  EXPECT_EQ(Phase("prod"), "Terminating");
  NamespaceController controller(
      service_, {.quiet = std::chrono::milliseconds(10), .retry = std::chrono::milliseconds(10)});
  ASSERT_TRUE(controller.Start().ok());
  EXPECT_TRUE(Eventually([&] { return Phase("prod") == "gone"; }));
  EXPECT_EQ(service_.Get(Cm("a")).error().code, 404);
}

}  // namespace
}  // namespace canaryd::api

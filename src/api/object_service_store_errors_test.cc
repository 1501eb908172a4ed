// ObjectService when the store refuses a write for a reason of its own (a full disk, an I/O
// error): the answer is 503 (or 500), and the failure is logged with the object and the error,
// since the client's Status is all anyone would otherwise see. Refusals that are the request's
// business (exists, stale) are not logged.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "api/memory_store_for_test.h"
#include "api/object_service.h"

namespace canaryd::api {
namespace {

using config::Kind;

// A MemoryStore whose writes fail with `failure` while it is set.
class FailingStore final : public store::Store {
 public:
  Status failure;

  Result<store::StoredObject> Get(const store::ObjectKey& key) override { return inner_.Get(key); }
  Result<store::ListResult> List(const store::Selector& selector) override {
    return inner_.List(selector);
  }
  Result<store::StoredObject> Create(const store::ObjectKey& key,
                                     const std::string& value) override {
    if (!failure.ok()) return failure;
    return inner_.Create(key, value);
  }
  Result<store::StoredObject> Update(const store::ObjectKey& key, const std::string& value,
                                     int64_t expected) override {
    if (!failure.ok()) return failure;
    return inner_.Update(key, value, expected);
  }
  Result<store::StoredObject> Delete(const store::ObjectKey& key, int64_t expected) override {
    if (!failure.ok()) return failure;
    return inner_.Delete(key, expected);
  }
  int64_t CurrentRevision() override { return inner_.CurrentRevision(); }
  int64_t CompactedRevision() override { return inner_.CompactedRevision(); }
  Result<std::unique_ptr<store::WatchHandle>> Watch(const store::Selector& selector, int64_t after,
                                                    store::WatchCallback callback) override {
    return inner_.Watch(selector, after, std::move(callback));
  }

 private:
  testing::MemoryStore inner_;
};

class ObjectServiceStoreErrorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(service_.EnsureSystemNamespaces().ok());
    previous_ = spdlog::default_logger();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>(
        "test", std::make_shared<spdlog::sinks::ostream_sink_mt>(log_)));
  }
  void TearDown() override { spdlog::set_default_logger(previous_); }

  Target Vs(const std::string& name) {
    return {&config::InfoOf(Kind::kVirtualService), "v1", "default", name};
  }
  json VirtualService(const std::string& name, const std::string& host) {
    return {{"apiVersion", "networking.istio.io/v1"},
            {"kind", "VirtualService"},
            {"metadata", {{"name", name}}},
            {"spec",
             {{"hosts", {host}}, {"http", {{{"route", {{{"destination", {{"host", "web"}}}}}}}}}}}};
  }
  WriteOptions Opts() {
    WriteOptions o;
    o.field_manager = "test";
    return o;
  }

  FailingStore store_;
  ManualClock clock_;
  ObjectService service_{store_, clock_};
  std::ostringstream log_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST_F(ObjectServiceStoreErrorsTest, AFullDiskIs503AndLoggedWithTheObjectAndTheError) {
  ASSERT_TRUE(service_.Create(Vs("kept"), VirtualService("kept", "a"), Opts()).ok());
  store_.failure = ResourceExhausted("COMMIT on /data/store.db: database or disk is full");

  auto created = service_.Create(Vs(""), VirtualService("web", "a"), Opts());
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code, 503);
  EXPECT_EQ(created.error().reason, "ServiceUnavailable");
  auto replaced = service_.Replace(Vs("kept"), VirtualService("kept", "b"), Opts());
  ASSERT_FALSE(replaced.ok());
  EXPECT_EQ(replaced.error().code, 503);
  auto deleted = service_.Delete(Vs("kept"), {});
  ASSERT_FALSE(deleted.ok());
  EXPECT_EQ(deleted.error().code, 503);

  std::string log = log_.str();
  for (const char* line : {"store: cannot create VirtualService default/web: ResourceExhausted: "
                           "COMMIT on /data/store.db: database or disk is full",
                           "store: cannot update VirtualService default/kept: ResourceExhausted",
                           "store: cannot delete VirtualService default/kept: ResourceExhausted"}) {
    EXPECT_NE(log.find(line), std::string::npos) << line << "\n" << log;
  }
  EXPECT_NE(log.find("[error]"), std::string::npos) << log;
}

TEST_F(ObjectServiceStoreErrorsTest, AnIoErrorIsLoggedToo) {
  store_.failure = IoError("COMMIT on /data/store.db: disk I/O error");
  auto created = service_.Create(
      {&config::InfoOf(Kind::kNamespace), "v1", "", ""},
      {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "prod"}}}}, Opts());
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code, 500);
  EXPECT_NE(log_.str().find("store: cannot create Namespace prod: IoError: COMMIT on "
                            "/data/store.db: disk I/O error"),
            std::string::npos)
      << log_.str();
}

TEST_F(ObjectServiceStoreErrorsTest, RefusalsThatAreTheRequestsBusinessAreNotLogged) {
  ASSERT_TRUE(service_.Create(Vs(""), VirtualService("web", "a"), Opts()).ok());
  auto again = service_.Create(Vs(""), VirtualService("web", "a"), Opts());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, 409);
  json stale = VirtualService("web", "b");
  stale["metadata"]["resourceVersion"] = "1";
  EXPECT_EQ(service_.Replace(Vs("web"), stale, Opts()).error().code, 409);
  EXPECT_EQ(log_.str(), "");
}

}  // namespace
}  // namespace canaryd::api

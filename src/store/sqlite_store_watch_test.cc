// Watch on SqliteStore: history replay then live events, selectors, resuming (across restarts
// too), compaction and Gone, Cancel, and no lost or repeated event when Watch races with writes.
#include <sqlite3.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "store/sqlite_store.h"
#include "store/test_util.h"

namespace canaryd::store {
namespace {

using testing::EventLog;
using testing::TempDir;
using namespace std::chrono_literals;

ObjectKey VS(const std::string& ns, const std::string& name) {
  return ObjectKey{"VirtualService", ns, name};
}

class SqliteStoreWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    Open();
  }
  void Open(SqliteStore::Options options = {}) {
    store_.reset();
    Result<std::unique_ptr<SqliteStore>> s = SqliteStore::Open(dir_.Sub("data"), options);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  std::unique_ptr<WatchHandle> WatchOrDie(const Selector& selector, int64_t after,
                                          WatchCallback cb) {
    Result<std::unique_ptr<WatchHandle>> h = store_->Watch(selector, after, std::move(cb));
    EXPECT_TRUE(h.ok()) << h.status().ToString();
    return h.ok() ? std::move(h).value() : nullptr;
  }

  TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(SqliteStoreWatchTest, ReplaysTheHistoryThenDeliversLiveChanges) {
  ASSERT_TRUE(store_->Create(VS("default", "a"), "a1").ok());     // 1
  ASSERT_TRUE(store_->Update(VS("default", "a"), "a2", 1).ok());  // 2
  ASSERT_TRUE(store_->Create(VS("default", "b"), "b1").ok());     // 3

  EventLog log;
  auto handle = WatchOrDie({"VirtualService", ""}, 0, log.Callback());
  // The replay ran on this thread before Watch returned.
  std::vector<WatchEvent> replayed = log.events();
  ASSERT_EQ(replayed.size(), 3u);
  EXPECT_EQ(replayed[0].type, EventType::kAdded);
  EXPECT_EQ(replayed[0].object.value, "a1");
  EXPECT_EQ(replayed[0].revision, 1);
  EXPECT_EQ(replayed[1].type, EventType::kModified);
  EXPECT_EQ(replayed[1].object.value, "a2");
  EXPECT_EQ(replayed[1].object.create_revision, 1);
  EXPECT_EQ(replayed[1].object.mod_revision, 2);
  EXPECT_EQ(replayed[2].object.key, VS("default", "b"));

  ASSERT_TRUE(store_->Update(VS("default", "b"), "b2", 3).ok());  // 4
  ASSERT_TRUE(store_->Delete(VS("default", "a"), 2).ok());        // 5
  // Live events run on the writing thread before the write returns.
  std::vector<WatchEvent> all = log.events();
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[3].type, EventType::kModified);
  EXPECT_EQ(all[3].object.value, "b2");
  EXPECT_EQ(all[4].type, EventType::kDeleted);
  EXPECT_EQ(all[4].object.key, VS("default", "a"));
  EXPECT_EQ(all[4].object.value, "a2") << "a deletion carries the last value";
  EXPECT_EQ(all[4].object.create_revision, 1);
  EXPECT_EQ(all[4].object.mod_revision, 5);
  EXPECT_EQ(all[4].revision, 5);
}

TEST_F(SqliteStoreWatchTest, ReplayedAndLiveEventsAreTheSame) {
  EventLog live;
  auto live_handle = WatchOrDie({"VirtualService", ""}, 0, live.Callback());
  ASSERT_TRUE(store_->Create(VS("default", "a"), "a1").ok());
  ASSERT_TRUE(store_->Update(VS("default", "a"), "a2", 0).ok());
  ASSERT_TRUE(store_->Delete(VS("default", "a"), 0).ok());
  EventLog replay;
  auto replay_handle = WatchOrDie({"VirtualService", ""}, 0, replay.Callback());
  std::vector<WatchEvent> a = live.events(), b = replay.events();
  ASSERT_EQ(a.size(), 3u);
  ASSERT_EQ(b.size(), 3u);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].type, b[i].type);
    EXPECT_EQ(a[i].revision, b[i].revision);
    EXPECT_EQ(a[i].object.key, b[i].object.key);
    EXPECT_EQ(a[i].object.value, b[i].object.value);
    EXPECT_EQ(a[i].object.create_revision, b[i].object.create_revision);
    EXPECT_EQ(a[i].object.mod_revision, b[i].object.mod_revision);
  }
}

TEST_F(SqliteStoreWatchTest, SelectorsFilterByKindAndNamespace) {
  EventLog vs_prod, vs_all, services;
  ASSERT_TRUE(store_->Create(VS("prod", "old"), "1").ok());  // 1, replayed
  auto h1 = WatchOrDie({"VirtualService", "prod"}, 0, vs_prod.Callback());
  auto h2 = WatchOrDie({"VirtualService", ""}, 0, vs_all.Callback());
  auto h3 = WatchOrDie({"Service", ""}, 0, services.Callback());
  ASSERT_TRUE(store_->Create(VS("default", "a"), "2").ok());         // 2
  ASSERT_TRUE(store_->Create({"Service", "prod", "a"}, "3").ok());   // 3
  ASSERT_TRUE(store_->Create(VS("prod", "b"), "4").ok());            // 4
  ASSERT_TRUE(store_->Create({"Namespace", "", "prod"}, "5").ok());  // 5
  EXPECT_EQ(vs_prod.revisions(), (std::vector<int64_t>{1, 4}));
  EXPECT_EQ(vs_all.revisions(), (std::vector<int64_t>{1, 2, 4}));
  EXPECT_EQ(services.revisions(), (std::vector<int64_t>{3}));
  // And in the replay.
  EventLog replay_prod;
  auto h4 = WatchOrDie({"VirtualService", "prod"}, 0, replay_prod.Callback());
  EXPECT_EQ(replay_prod.revisions(), (std::vector<int64_t>{1, 4}));
}

TEST_F(SqliteStoreWatchTest, ResumesAfterAGivenRevision) {
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(store_->Create(VS("default", std::to_string(i)), "").ok());
  EventLog from3, now;
  auto h1 = WatchOrDie({"VirtualService", ""}, 3, from3.Callback());
  auto h2 = WatchOrDie({"VirtualService", ""}, store_->CurrentRevision(), now.Callback());
  EXPECT_EQ(from3.revisions(), (std::vector<int64_t>{4, 5}));
  EXPECT_EQ(now.size(), 0u);
  ASSERT_TRUE(store_->Create(VS("default", "x"), "").ok());
  EXPECT_EQ(from3.revisions(), (std::vector<int64_t>{4, 5, 6}));
  EXPECT_EQ(now.revisions(), (std::vector<int64_t>{6}));
}

TEST_F(SqliteStoreWatchTest, AWatchFromAFutureRevisionWaitsForIt) {
  EventLog log;
  auto h = WatchOrDie({"VirtualService", ""}, 2, log.Callback());
  for (int i = 0; i < 4; ++i)
    ASSERT_TRUE(store_->Create(VS("default", std::to_string(i)), "").ok());
  EXPECT_EQ(log.revisions(), (std::vector<int64_t>{3, 4}));
}

TEST_F(SqliteStoreWatchTest, ResumesAcrossARestart) {
  ASSERT_TRUE(store_->Create(VS("default", "a"), "a1").ok());     // 1
  ASSERT_TRUE(store_->Update(VS("default", "a"), "a2", 1).ok());  // 2
  ASSERT_TRUE(store_->Delete(VS("default", "a"), 2).ok());        // 3
  Open();
  EventLog log;
  auto h = WatchOrDie({"VirtualService", "default"}, 1, log.Callback());
  std::vector<WatchEvent> events = log.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, EventType::kModified);
  EXPECT_EQ(events[0].object.value, "a2");
  EXPECT_EQ(events[0].revision, 2);
  EXPECT_EQ(events[1].type, EventType::kDeleted);
  EXPECT_EQ(events[1].object.value, "a2");
  EXPECT_EQ(events[1].object.create_revision, 1);
  EXPECT_EQ(events[1].revision, 3);
  ASSERT_TRUE(store_->Create(VS("default", "a"), "again").ok());
  EXPECT_EQ(log.revisions(), (std::vector<int64_t>{2, 3, 4}));
}

TEST_F(SqliteStoreWatchTest, HistoryIsBoundedAndAWatchFromACompactedRevisionIsGone) {
  SqliteStore::Options options;
  options.history_limit = 5;
  Open(options);
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(store_->Create(VS("default", std::to_string(i)), "").ok());
  }
  EXPECT_EQ(store_->CurrentRevision(), 12);
  EXPECT_EQ(store_->CompactedRevision(), 7);

  Result<std::unique_ptr<WatchHandle>> gone =
      store_->Watch({"VirtualService", ""}, 6, [](auto&) {});
  EXPECT_EQ(gone.status().code(), StatusCode::kGone);
  EXPECT_NE(gone.status().message().find("list again"), std::string::npos)
      << gone.status().message();
  EventLog log;
  auto h = WatchOrDie({"VirtualService", ""}, 7, log.Callback());
  EXPECT_EQ(log.revisions(), (std::vector<int64_t>{8, 9, 10, 11, 12}));
  h.reset();

  // Compaction is persistent, and a smaller limit applies at the next open.
  Open(options);
  EXPECT_EQ(store_->CompactedRevision(), 7);
  options.history_limit = 2;
  Open(options);
  EXPECT_EQ(store_->CompactedRevision(), 10);
  EXPECT_EQ(store_->Watch({"VirtualService", ""}, 9, [](auto&) {}).status().code(),
            StatusCode::kGone);
  EventLog after;
  auto h2 = WatchOrDie({"VirtualService", ""}, 10, after.Callback());
  EXPECT_EQ(after.revisions(), (std::vector<int64_t>{11, 12}));
}

TEST_F(SqliteStoreWatchTest, BadWatchArgumentsAreInvalid) {
  EXPECT_EQ(store_->Watch({"", ""}, 0, [](auto&) {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Watch({"Service", ""}, -1, [](auto&) {}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Watch({"Service", ""}, 0, nullptr).status().code(),
            StatusCode::kInvalidArgument);
}

// The callback runs after the commit: another connection, as another process would, already
// sees the object.
TEST_F(SqliteStoreWatchTest, CallbacksRunAfterTheWriteIsCommitted) {
  const std::string path = dir_.Sub("data") + "/store.db";
  std::atomic<int> seen{-1};
  auto h = WatchOrDie({"VirtualService", ""}, 0, [&](const WatchEvent& e) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
      sqlite3_stmt* stmt = nullptr;
      sqlite3_prepare_v2(db, "SELECT mod_revision FROM objects WHERE name = ?1", -1, &stmt,
                         nullptr);
      sqlite3_bind_text(stmt, 1, e.object.key.name.c_str(), -1, SQLITE_TRANSIENT);
      seen = sqlite3_step(stmt) == SQLITE_ROW ? static_cast<int>(sqlite3_column_int64(stmt, 0)) : 0;
      sqlite3_finalize(stmt);
    }
    sqlite3_close(db);
  });
  ASSERT_TRUE(store_->Create(VS("default", "a"), "{}").ok());
  EXPECT_EQ(seen, 1);
}

TEST_F(SqliteStoreWatchTest, EventsArriveInRevisionOrderFromConcurrentWriters) {
  constexpr int kThreads = 4, kPerThread = 50;
  EventLog log;
  auto h = WatchOrDie({"VirtualService", ""}, 0, log.Callback());
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        EXPECT_TRUE(store_->Create(VS(std::to_string(t), std::to_string(i)), "{}").ok());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::vector<int64_t> revisions = log.revisions();
  ASSERT_EQ(revisions.size(), static_cast<size_t>(kThreads * kPerThread));
  for (size_t i = 0; i < revisions.size(); ++i)
    EXPECT_EQ(revisions[i], static_cast<int64_t>(i + 1));
}

TEST_F(SqliteStoreWatchTest, CancelAndDestroyingTheHandleStopDelivery) {
  EventLog a, b;
  auto ha = WatchOrDie({"VirtualService", ""}, 0, a.Callback());
  auto hb = WatchOrDie({"VirtualService", ""}, 0, b.Callback());
  ASSERT_TRUE(store_->Create(VS("default", "1"), "").ok());
  ha->Cancel();
  ha->Cancel();  // idempotent
  hb.reset();
  ASSERT_TRUE(store_->Create(VS("default", "2"), "").ok());
  EXPECT_EQ(a.revisions(), (std::vector<int64_t>{1}));
  EXPECT_EQ(b.revisions(), (std::vector<int64_t>{1}));
}

TEST_F(SqliteStoreWatchTest, CancelFromInsideTheCallbackIsSafe) {
  std::unique_ptr<WatchHandle> handle;
  std::vector<int64_t> seen;
  handle = WatchOrDie({"VirtualService", ""}, 0, [&](const WatchEvent& e) {
    seen.push_back(e.revision);
    if (e.revision == 2) handle->Cancel();  // returns at once: no deadlock
  });
  for (int i = 0; i < 4; ++i)
    ASSERT_TRUE(store_->Create(VS("default", std::to_string(i)), "").ok());
  EXPECT_EQ(seen, (std::vector<int64_t>{1, 2}));
}

TEST_F(SqliteStoreWatchTest, DestroyingTheHandleFromInsideTheCallbackIsSafe) {
  std::unique_ptr<WatchHandle> handle;
  std::vector<int64_t> seen;
  auto witness = std::make_shared<int>(0);
  std::weak_ptr<int> captured = witness;
  handle =
      WatchOrDie({"VirtualService", ""}, 0, [&, witness = std::move(witness)](const WatchEvent& e) {
        seen.push_back(e.revision);
        handle.reset();            // destroys the handle while this lambda runs
        seen.push_back(*witness);  // the lambda's captures are still alive
      });
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(store_->Create(VS("default", std::to_string(i)), "").ok());
  EXPECT_EQ(seen, (std::vector<int64_t>{1, 0}));
  EXPECT_TRUE(captured.expired()) << "the callback is released once canceled";
}

// A callback is running (on the writing thread) when another thread cancels: Cancel returns only
// after the callback has returned, and nothing is delivered afterwards.
TEST_F(SqliteStoreWatchTest, CancelWaitsForARunningCallback) {
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false, release = false;
  std::atomic<int> calls{0};
  std::atomic<bool> running{false};
  auto handle = WatchOrDie({"VirtualService", ""}, 0, [&](const WatchEvent&) {
    running = true;
    ++calls;
    std::unique_lock lock(mu);
    entered = true;
    cv.notify_all();
    cv.wait_for(lock, 5s, [&] { return release; });  // a test-only block, bounded
    running = false;
  });
  std::thread writer([&] { EXPECT_TRUE(store_->Create(VS("default", "a"), "").ok()); });
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return entered; }));
  }
  std::atomic<bool> cancel_returned{false};
  bool running_when_cancel_returned = true;
  std::thread canceller([&] {
    handle->Cancel();
    running_when_cancel_returned = running;
    cancel_returned = true;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(cancel_returned) << "Cancel returned while the callback was still running";
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  canceller.join();
  writer.join();
  EXPECT_TRUE(cancel_returned);
  EXPECT_FALSE(running_when_cancel_returned);
  ASSERT_TRUE(store_->Create(VS("default", "b"), "").ok());
  EXPECT_EQ(calls, 1);
}

// store.h forbids it; the store turns the deadlock it would be into an error.
TEST_F(SqliteStoreWatchTest, AWriteFromInsideACallbackIsRefusedNotADeadlock) {
  std::vector<StatusCode> codes;
  auto h = WatchOrDie({"VirtualService", ""}, 0, [&](const WatchEvent& e) {
    if (e.object.key.name != "a") return;
    codes.push_back(store_->Create(VS("default", "b"), "").status().code());
    codes.push_back(store_->Update(VS("default", "a"), "", 0).status().code());
    codes.push_back(store_->Delete(VS("default", "a"), 0).status().code());
    codes.push_back(store_->Watch({"Service", ""}, 0, [](auto&) {}).status().code());
  });
  ASSERT_TRUE(store_->Create(VS("default", "a"), "").ok());
  EXPECT_EQ(codes, std::vector<StatusCode>(4, StatusCode::kFailedPrecondition));
  EXPECT_EQ(store_->CurrentRevision(), 1);
  EXPECT_TRUE(store_->Create(VS("default", "b"), "").ok()) << "the lock was released";
}

TEST_F(SqliteStoreWatchTest, AHandleMayOutliveTheStore) {
  EventLog log;
  auto h = WatchOrDie({"VirtualService", ""}, 0, log.Callback());
  ASSERT_TRUE(store_->Create(VS("default", "a"), "").ok());
  store_.reset();
  h->Cancel();
  h.reset();
  EXPECT_EQ(log.size(), 1u);
}

// Writes run on one thread while another keeps starting watches from the current revision (or
// a little before it): every watch sees each revision after its start exactly once, in order,
// whether it came from the replay or live.
TEST_F(SqliteStoreWatchTest, WatchRacingWithWritesMissesAndRepeatsNothing) {
  constexpr int kWrites = 300;
  constexpr int kWatches = 60;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < kWrites; ++i) {
      ObjectKey key = VS("ns" + std::to_string(i % 3), "obj" + std::to_string(i % 7));
      Result<StoredObject> r = store_->Update(key, std::to_string(i), 0);
      if (r.status().code() == StatusCode::kNotFound) r = store_->Create(key, std::to_string(i));
      EXPECT_TRUE(r.ok()) << r.status().ToString();
    }
    done = true;
  });
  struct Started {
    int64_t after;
    std::unique_ptr<EventLog> log;
    std::unique_ptr<WatchHandle> handle;
  };
  std::vector<Started> watches;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  for (int i = 0; i < kWatches && std::chrono::steady_clock::now() < deadline; ++i) {
    int64_t after = std::max<int64_t>(0, store_->CurrentRevision() - (i % 4));
    auto log = std::make_unique<EventLog>();
    auto handle = WatchOrDie({"VirtualService", ""}, after, log->Callback());
    ASSERT_NE(handle, nullptr);
    watches.push_back({after, std::move(log), std::move(handle)});
    std::this_thread::sleep_for(std::chrono::milliseconds(1 + i % 5));  // spread over the writes
  }
  writer.join();
  ASSERT_TRUE(done);
  ASSERT_EQ(store_->CurrentRevision(), kWrites);
  for (const Started& w : watches) {
    std::vector<int64_t> revisions = w.log->revisions();
    ASSERT_EQ(revisions.size(), static_cast<size_t>(kWrites - w.after)) << "after " << w.after;
    for (size_t i = 0; i < revisions.size(); ++i) {
      ASSERT_EQ(revisions[i], w.after + 1 + static_cast<int64_t>(i)) << "after " << w.after;
    }
  }
}

}  // namespace
}  // namespace canaryd::store

#include "store/sqlite_store.h"

#include <gtest/gtest.h>

#include <barrier>
#include <set>
#include <thread>

#include "store/test_util.h"

namespace canaryd::store {
namespace {

using testing::TempDir;

ObjectKey VS(const std::string& ns, const std::string& name) {
  return ObjectKey{"VirtualService", ns, name};
}

std::unique_ptr<SqliteStore> OpenOrDie(const std::string& dir, SqliteStore::Options options = {}) {
  Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(dir, options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    store_ = OpenOrDie(dir_.Sub("data"));
    ASSERT_NE(store_, nullptr);
  }
  void Reopen(SqliteStore::Options options = {}) {
    store_.reset();  // closes the database and releases the LOCK file first
    store_ = OpenOrDie(dir_.Sub("data"), options);
    ASSERT_NE(store_, nullptr);
  }

  TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(SqliteStoreTest, ANewStoreIsEmptyAtRevisionZero) {
  EXPECT_EQ(store_->CurrentRevision(), 0);
  EXPECT_EQ(store_->CompactedRevision(), 0);
  Result<ListResult> list = store_->List({"VirtualService", ""});
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_TRUE(list->items.empty());
  EXPECT_EQ(list->revision, 0);
}

TEST_F(SqliteStoreTest, CreateGetUpdateDelete) {
  Result<StoredObject> created = store_->Create(VS("default", "web"), R"({"v":1})");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->key, VS("default", "web"));
  EXPECT_EQ(created->value, R"({"v":1})");
  EXPECT_EQ(created->create_revision, 1);
  EXPECT_EQ(created->mod_revision, 1);

  Result<StoredObject> got = store_->Get(VS("default", "web"));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->value, R"({"v":1})");
  EXPECT_EQ(got->create_revision, 1);
  EXPECT_EQ(got->mod_revision, 1);

  Result<StoredObject> updated = store_->Update(VS("default", "web"), R"({"v":2})", 1);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->create_revision, 1);
  EXPECT_EQ(updated->mod_revision, 2);
  EXPECT_EQ(store_->Get(VS("default", "web"))->value, R"({"v":2})");

  Result<StoredObject> deleted = store_->Delete(VS("default", "web"), 2);
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(deleted->value, R"({"v":2})") << "the deleted object's last value";
  EXPECT_EQ(deleted->create_revision, 1);
  EXPECT_EQ(deleted->mod_revision, 3) << "the deletion's revision";

  EXPECT_EQ(store_->Get(VS("default", "web")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->CurrentRevision(), 3);
}

TEST_F(SqliteStoreTest, CreateOfAnExistingObjectIsAlreadyExistsAndWritesNothing) {
  ASSERT_TRUE(store_->Create(VS("default", "web"), "a").ok());
  Result<StoredObject> again = store_->Create(VS("default", "web"), "b");
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(again.status().message().find("VirtualService default/web"), std::string::npos)
      << again.status().message();
  EXPECT_EQ(store_->Get(VS("default", "web"))->value, "a");
  EXPECT_EQ(store_->CurrentRevision(), 1) << "a failed write takes no revision";
}

TEST_F(SqliteStoreTest, UpdateAndDeleteOfAMissingObjectAreNotFound) {
  EXPECT_EQ(store_->Update(VS("default", "nope"), "x", 0).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Update(VS("default", "nope"), "x", 7).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Delete(VS("default", "nope"), 0).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Get(VS("default", "nope")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->CurrentRevision(), 0);
}

TEST_F(SqliteStoreTest, AStaleRevisionIsAConflictAndZeroIsUnconditional) {
  ASSERT_TRUE(store_->Create(VS("default", "web"), "v1").ok());     // revision 1
  ASSERT_TRUE(store_->Create(VS("default", "other"), "o").ok());    // revision 2
  ASSERT_TRUE(store_->Update(VS("default", "web"), "v2", 1).ok());  // revision 3

  Result<StoredObject> stale = store_->Update(VS("default", "web"), "v3", 1);
  EXPECT_EQ(stale.status().code(), StatusCode::kConflict);
  EXPECT_NE(stale.status().message().find("revision is 3, not 1"), std::string::npos)
      << stale.status().message();
  // The global revision 2 belongs to another object: it is not this one's.
  EXPECT_EQ(store_->Update(VS("default", "web"), "v3", 2).status().code(), StatusCode::kConflict);
  EXPECT_EQ(store_->Delete(VS("default", "web"), 1).status().code(), StatusCode::kConflict);
  EXPECT_EQ(store_->Get(VS("default", "web"))->value, "v2");
  EXPECT_EQ(store_->CurrentRevision(), 3);

  Result<StoredObject> unconditional = store_->Update(VS("default", "web"), "v4", 0);
  ASSERT_TRUE(unconditional.ok());
  EXPECT_EQ(unconditional->mod_revision, 4);
  EXPECT_TRUE(store_->Delete(VS("default", "web"), 4).ok());
}

TEST_F(SqliteStoreTest, ARecreatedObjectGetsANewCreateRevision) {
  ASSERT_TRUE(store_->Create(VS("default", "web"), "a").ok());
  ASSERT_TRUE(store_->Delete(VS("default", "web"), 0).ok());
  Result<StoredObject> again = store_->Create(VS("default", "web"), "b");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->create_revision, 3);
  EXPECT_EQ(again->mod_revision, 3);
}

TEST_F(SqliteStoreTest, ValuesComeBackByteForByte) {
  const std::string values[] = {
      "",
      std::string("nul\0inside", 10),
      "\xff\xfe not UTF-8 \x80",
      std::string(2 << 20, 'x'),  // 2 MiB: larger than any page
      "{\"emoji\":\"\xf0\x9f\x90\xa4\"}",
  };
  int i = 0;
  for (const std::string& v : values) {
    ObjectKey key = VS("default", "v" + std::to_string(i++));
    ASSERT_TRUE(store_->Create(key, v).ok());
    EXPECT_EQ(store_->Get(key)->value, v);
  }
  Reopen();
  i = 0;
  for (const std::string& v : values) {
    EXPECT_EQ(store_->Get(VS("default", "v" + std::to_string(i++)))->value, v);
  }
}

TEST_F(SqliteStoreTest, KeysAndSelectorsWithoutAKindOrNameAreInvalid) {
  EXPECT_EQ(store_->Create({"", "default", "a"}, "x").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Create({"Service", "default", ""}, "x").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Get({"", "", ""}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->List({"", "default"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->CurrentRevision(), 0);
}

TEST_F(SqliteStoreTest, ListsByKindAndNamespaceSortedByNamespaceThenName) {
  ASSERT_TRUE(store_->Create(VS("prod", "b"), "1").ok());
  ASSERT_TRUE(store_->Create(VS("default", "z"), "2").ok());
  ASSERT_TRUE(store_->Create(VS("prod", "a"), "3").ok());
  ASSERT_TRUE(store_->Create(VS("default", "a"), "4").ok());
  ASSERT_TRUE(store_->Create({"Service", "prod", "a"}, "5").ok());
  ASSERT_TRUE(store_->Create({"Namespace", "", "prod"}, "6").ok());
  ASSERT_TRUE(store_->Create({"Namespace", "", "default"}, "7").ok());

  auto names = [](const ListResult& l) {
    std::vector<std::string> out;
    for (const StoredObject& o : l.items) out.push_back(o.key.namespace_ + "/" + o.key.name);
    return out;
  };
  Result<ListResult> all = store_->List({"VirtualService", ""});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(names(*all), (std::vector<std::string>{"default/a", "default/z", "prod/a", "prod/b"}));
  EXPECT_EQ(all->revision, 7);
  EXPECT_EQ(all->items[2].value, "3");
  EXPECT_EQ(all->items[2].key.kind, "VirtualService");
  EXPECT_EQ(all->items[2].create_revision, 3);
  EXPECT_EQ(all->items[2].mod_revision, 3);

  Result<ListResult> prod = store_->List({"VirtualService", "prod"});
  ASSERT_TRUE(prod.ok());
  EXPECT_EQ(names(*prod), (std::vector<std::string>{"prod/a", "prod/b"}));

  EXPECT_EQ(names(*store_->List({"Service", ""})), (std::vector<std::string>{"prod/a"}));
  EXPECT_EQ(names(*store_->List({"Namespace", ""})),
            (std::vector<std::string>{"/default", "/prod"}));
  EXPECT_TRUE(store_->List({"VirtualService", "staging"})->items.empty());
  EXPECT_TRUE(store_->List({"Gateway", ""})->items.empty());
}

TEST_F(SqliteStoreTest, ObjectsAndRevisionsSurviveARestart) {
  ASSERT_TRUE(store_->Create(VS("default", "a"), "a1").ok());     // 1
  ASSERT_TRUE(store_->Create(VS("default", "b"), "b1").ok());     // 2
  ASSERT_TRUE(store_->Update(VS("default", "a"), "a2", 1).ok());  // 3
  ASSERT_TRUE(store_->Create(VS("default", "c"), "c1").ok());     // 4
  ASSERT_TRUE(store_->Delete(VS("default", "c"), 4).ok());        // 5
  Result<ListResult> before = store_->List({"VirtualService", ""});
  ASSERT_TRUE(before.ok());

  Reopen();
  EXPECT_EQ(store_->CurrentRevision(), 5);
  Result<ListResult> after = store_->List({"VirtualService", ""});
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->items.size(), before->items.size());
  for (size_t i = 0; i < after->items.size(); ++i) {
    EXPECT_EQ(after->items[i].key, before->items[i].key);
    EXPECT_EQ(after->items[i].value, before->items[i].value);
    EXPECT_EQ(after->items[i].create_revision, before->items[i].create_revision);
    EXPECT_EQ(after->items[i].mod_revision, before->items[i].mod_revision);
  }
  EXPECT_EQ(after->revision, 5);
  EXPECT_EQ(store_->Get(VS("default", "a"))->create_revision, 1);
  EXPECT_EQ(store_->Get(VS("default", "a"))->mod_revision, 3);
  EXPECT_EQ(store_->Get(VS("default", "c")).status().code(), StatusCode::kNotFound);

  // The sequence continues, and the old revisions still work as preconditions.
  Result<StoredObject> next = store_->Update(VS("default", "b"), "b2", 2);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->mod_revision, 6);
  Reopen();
  EXPECT_EQ(store_->CurrentRevision(), 6);
  EXPECT_EQ(store_->Create(VS("default", "d"), "d")->mod_revision, 7);
}

TEST_F(SqliteStoreTest, ASecondStoreOnTheSameDirectoryIsRefused) {
  Result<std::unique_ptr<SqliteStore>> second = SqliteStore::Open(dir_.Sub("data"));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("in use by another canaryd store"), std::string::npos)
      << second.status().message();
  store_.reset();
  EXPECT_TRUE(SqliteStore::Open(dir_.Sub("data")).ok()) << "free again once the first closes";
}

TEST_F(SqliteStoreTest, BadOptionsAreInvalidArguments) {
  SqliteStore::Options options;
  options.history_limit = 0;
  EXPECT_EQ(SqliteStore::Open(dir_.Sub("other"), options).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(SqliteStore::Open("").status().code(), StatusCode::kInvalidArgument);
}

// Both threads read revision r, then both update with expected r: the write lock makes the
// compare-and-set atomic, so exactly one wins every round.
TEST_F(SqliteStoreTest, TwoThreadsUpdatingWithTheSameRevisionExactlyOneWins) {
  constexpr int kRounds = 100;
  ASSERT_TRUE(store_->Create(VS("default", "web"), "0").ok());
  std::barrier sync(2);
  std::atomic<int> wins{0}, conflicts{0}, others{0};
  auto worker = [&](int id) {
    for (int round = 0; round < kRounds; ++round) {
      Result<StoredObject> current = store_->Get(VS("default", "web"));
      sync.arrive_and_wait();  // both have read the same revision
      int64_t expected = current.ok() ? current->mod_revision : -1;
      Result<StoredObject> r = store_->Update(
          VS("default", "web"), std::to_string(id) + ":" + std::to_string(round), expected);
      if (r.ok()) {
        ++wins;
      } else if (r.status().code() == StatusCode::kConflict) {
        ++conflicts;
      } else {
        ++others;
      }
      sync.arrive_and_wait();  // both are done before the next round reads
    }
  };
  std::thread a(worker, 1), b(worker, 2);
  a.join();
  b.join();
  EXPECT_EQ(wins, kRounds);
  EXPECT_EQ(conflicts, kRounds);
  EXPECT_EQ(others, 0);
  EXPECT_EQ(store_->CurrentRevision(), 1 + kRounds);
}

TEST_F(SqliteStoreTest, ConcurrentWritersGetDistinctGapFreeRevisions) {
  constexpr int kThreads = 4, kPerThread = 50;
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<int64_t> revisions;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Result<StoredObject> r =
            store_->Create(VS("ns" + std::to_string(t), std::to_string(i)), "{}");
        std::lock_guard lock(mu);
        if (r.ok()) revisions.insert(r->mod_revision);
      }
    });
  }
  // Reads run beside the writes; every list is a consistent snapshot.
  for (int i = 0; i < 50; ++i) {
    Result<ListResult> list = store_->List({"VirtualService", ""});
    ASSERT_TRUE(list.ok()) << list.status().ToString();
    EXPECT_EQ(static_cast<int64_t>(list->items.size()), list->revision)
        << "each write so far created one object";
  }
  for (std::thread& t : threads) t.join();
  ASSERT_EQ(revisions.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(*revisions.begin(), 1);
  EXPECT_EQ(*revisions.rbegin(), kThreads * kPerThread);
}

}  // namespace
}  // namespace canaryd::store

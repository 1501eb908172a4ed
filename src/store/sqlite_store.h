// SqliteStore: the embedded, default Store. One SQLite database file (store.db) in a data
// directory holds the objects, the global revision and a bounded history of change events (so a
// watch resumes across restarts). WAL mode with synchronous=FULL: a write that returned ok is on
// disk. A LOCK file (flock) keeps a second process, or a second SqliteStore in this one, from
// opening the same directory: the revision counter and the watchers live in this object.
//
// Thread-safe, as store.h requires. Writes (Create, Update, Delete) and Watch registration are
// serialized by one mutex, held through the commit and the delivery of the resulting event, which
// is what makes revisions gap-free and delivery ordered; this is the control plane, so one writer
// at a time is plenty. Get and List use a second connection with its own mutex: WAL lets them read
// the last committed state while a write is being synced.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "store/sqlite_db.h"
#include "store/store.h"
#include "store/watch_hub.h"

namespace canaryd::store {

struct SqliteStoreOptions {
  // Change events kept for Watch to replay, counted in revisions (each write is one event).
  // Older ones are dropped as new ones come, and CompactedRevision() moves up. At least 1.
  int64_t history_limit = 10'000;
  // How long a statement waits on a SQLite lock before failing with kUnavailable. Only SQLite's
  // own housekeeping (WAL checkpoints, recovery) can hold one: other processes are kept out by
  // the LOCK file.
  int busy_timeout_ms = 5'000;
  // Run PRAGMA quick_check when opening, so a damaged file is refused at start-up rather than
  // found by a later read. It reads the whole file: milliseconds for a control plane's objects.
  bool verify_on_open = true;
};

class SqliteStore final : public Store {
 public:
  using Options = SqliteStoreOptions;

  // The name of the database file inside the data directory.
  static constexpr const char* kDatabaseFile = "store.db";

  // Opens the store in `data_dir`, creating the directory and the database if absent. Errors:
  // kIoError when the directory or the file cannot be created or opened (permissions, not a
  // directory); kFailedPrecondition when store.db is not a canaryd store (corrupt, not SQLite,
  // another application's database, a newer schema) or the directory is in use by another store;
  // kInvalidArgument for bad options.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& data_dir,
                                                   const Options& options = {});

  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  Result<StoredObject> Get(const ObjectKey& key) override;
  Result<ListResult> List(const Selector& selector) override;
  Result<StoredObject> Create(const ObjectKey& key, const std::string& value) override;
  Result<StoredObject> Update(const ObjectKey& key, const std::string& value,
                              int64_t expected_mod_revision) override;
  Result<StoredObject> Delete(const ObjectKey& key, int64_t expected_mod_revision) override;
  int64_t CurrentRevision() override;
  int64_t CompactedRevision() override;
  // History replay runs on the calling thread before Watch returns. If reading the history fails,
  // Watch returns the error and the callback may have seen part of the history; nothing more is
  // delivered. Callbacks run under the write lock, so store.h's rule (do not call back into the
  // Store) is enforced for the write path: a callback's Create, Update, Delete or Watch fails
  // with kFailedPrecondition instead of deadlocking. Cancel follows watch_hub.h: from another
  // thread it waits for a running callback; from inside the callback it returns at once and the
  // callback is not called again.
  Result<std::unique_ptr<WatchHandle>> Watch(const Selector& selector, int64_t after_revision,
                                             WatchCallback callback) override;

  const std::string& data_dir() const { return data_dir_; }

 private:
  struct Writer;
  struct Reader;
  class WriteLock;

  SqliteStore(std::string data_dir, Options options, int lock_fd);

  // Opens and, for a new file, initializes the database; loads the revisions.
  Status Init();
  // Commits `event` (its object becomes the stored one, or is removed for kDeleted) as revision
  // event.revision, then delivers it. Called with write_mu_ held.
  Status CommitAndDispatch(const WatchEvent& event);
  // Reads the object at `key` with the writer's connection, into `out`; false when absent.
  Result<bool> ReadForWrite(const ObjectKey& key, StoredObject& out);
  Status CheckWritable() const;

  const std::string data_dir_;
  const Options options_;
  const int lock_fd_;  // the open, flock'ed LOCK file; closed (unlocked) last

  std::mutex write_mu_;
  // The thread holding write_mu_, or none: see WriteLock.
  std::atomic<std::thread::id> write_owner_{};
  std::unique_ptr<Writer> writer_;  // guarded by write_mu_
  WatchHub hub_;                    // guarded by write_mu_
  // Set when a commit failed in a way that leaves the file's state unknown (an I/O error while
  // syncing): later writes fail with it until the store is reopened, which recovers from the
  // WAL. Guarded by write_mu_.
  Status failed_;

  std::mutex read_mu_;
  std::unique_ptr<Reader> reader_;  // guarded by read_mu_

  // Written under write_mu_ after each commit, read without a lock.
  std::atomic<int64_t> revision_{0};
  std::atomic<int64_t> compacted_revision_{0};
};

}  // namespace canaryd::store

#include "store/sqlite_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <utility>

#include "store/sqlite_schema.h"

namespace canaryd::store {
namespace {

namespace fs = std::filesystem;

std::string Describe(const ObjectKey& key) {
  if (key.namespace_.empty()) return key.kind + " " + key.name;
  return key.kind + " " + key.namespace_ + "/" + key.name;
}

Status ValidateKey(const ObjectKey& key) {
  if (key.kind.empty()) return InvalidArgument("object key without a kind");
  if (key.name.empty()) return InvalidArgument(Describe(key) + ": object key without a name");
  return Status::Ok();
}

Status ValidateSelector(const Selector& selector) {
  if (selector.kind.empty()) return InvalidArgument("selector without a kind");
  return Status::Ok();
}

Status ErrnoStatus(const std::string& what, int error) {
  return IoError(what + ": " + std::strerror(error));
}

// Makes a directory entry (a new file or sub-directory in `dir`) durable: fsync of a file does
// not cover the name that points at it.
Status SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open directory " + dir + " to sync it", errno);
  int rc = ::fsync(fd);
  int error = errno;
  ::close(fd);
  if (rc != 0) return ErrnoStatus("cannot sync directory " + dir, error);
  return Status::Ok();
}

// Errors after which the file's state is not known (an I/O error may leave a commit half
// synced): the store refuses further writes until reopened.
bool LeavesStateUnknown(const Status& s) {
  return s.code() == StatusCode::kIoError || s.code() == StatusCode::kFailedPrecondition;
}

Status PrepareAll(SqliteDb& db, std::initializer_list<std::pair<SqliteStatement*, const char*>> l) {
  for (auto& [stmt, sql] : l) {
    Result<SqliteStatement> prepared = db.Prepare(sql);
    if (!prepared.ok()) return prepared.status();
    *stmt = std::move(prepared).value();
  }
  return Status::Ok();
}

Status WithContext(const Status& s, const std::string& context) {
  if (s.ok()) return s;
  return Status(s.code(), context + ": " + s.message());
}

constexpr const char* kSelectObject =
    "SELECT value, create_revision, mod_revision FROM objects "
    "WHERE kind = ?1 AND namespace = ?2 AND name = ?3";

// Reads the row `stmt` (kSelectObject, bound to `key`) returns, if any.
Result<bool> ReadObject(SqliteStatement& stmt, const ObjectKey& key, StoredObject& out) {
  ScopedReset reset(stmt);
  stmt.Bind(1, key.kind).Bind(2, key.namespace_).Bind(3, key.name);
  Result<bool> row = stmt.Step();
  if (!row.ok() || !*row) return row;
  out.key = key;
  out.value = stmt.ColumnText(0);
  out.create_revision = stmt.ColumnInt(1);
  out.mod_revision = stmt.ColumnInt(2);
  return true;
}

int64_t ToDb(EventType type) {
  switch (type) {
    case EventType::kAdded:
      return sqlite_schema::kAdded;
    case EventType::kModified:
      return sqlite_schema::kModified;
    case EventType::kDeleted:
      return sqlite_schema::kDeleted;
  }
  return 0;
}

Status CheckRevision(const ObjectKey& key, const StoredObject& current, int64_t expected) {
  if (expected == 0 || expected == current.mod_revision) return Status::Ok();
  return Conflict(Describe(key) + " has been modified: its revision is " +
                  std::to_string(current.mod_revision) + ", not " + std::to_string(expected) +
                  "; read it again and apply the change to the latest version");
}

}  // namespace

// The writing connection. Also reads the history for Watch, under the same lock, so a replay
// sees exactly the commits before the watcher is registered.
struct SqliteStore::Writer {
  SqliteDb db;  // first: destroyed after its statements
  SqliteStatement begin, commit, rollback;
  SqliteStatement select_object, insert_object, update_object, delete_object;
  SqliteStatement insert_event, compact_events, update_state, select_state;
  SqliteStatement replay;
};

// The reading connection (query_only), for Get and List.
struct SqliteStore::Reader {
  SqliteDb db;
  SqliteStatement begin, commit, rollback;
  SqliteStatement select_object, list_namespace, list_all, select_revision;
};

// Holds write_mu_ and records the holder, so that a watch callback that calls back into the
// write path (on the thread that holds the lock, delivering) gets an error instead of a deadlock.
class SqliteStore::WriteLock {
 public:
  explicit WriteLock(SqliteStore& store) : store_(store) {
    if (store_.write_owner_.load() == std::this_thread::get_id()) {
      status_ = FailedPrecondition(
          "a watch callback called a Store write or Watch (callbacks run under the store's "
          "write lock): post the work to another thread instead");
      return;
    }
    lock_ = std::unique_lock(store_.write_mu_);
    store_.write_owner_.store(std::this_thread::get_id());
  }
  ~WriteLock() {
    if (lock_.owns_lock()) store_.write_owner_.store(std::thread::id());
  }
  WriteLock(const WriteLock&) = delete;
  WriteLock& operator=(const WriteLock&) = delete;
  const Status& status() const { return status_; }

 private:
  SqliteStore& store_;
  std::unique_lock<std::mutex> lock_;
  Status status_;
};

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& data_dir,
                                                       const Options& options) {
  if (data_dir.empty()) return InvalidArgument("SqliteStore: empty data directory");
  if (options.history_limit < 1) {
    return InvalidArgument("SqliteStore: history_limit must be at least 1, not " +
                           std::to_string(options.history_limit));
  }
  if (options.busy_timeout_ms < 0) return InvalidArgument("SqliteStore: negative busy_timeout_ms");

  std::error_code ec;
  if (fs::exists(data_dir, ec) && !fs::is_directory(data_dir, ec)) {
    return IoError("data directory " + data_dir + " exists and is not a directory");
  }
  bool created_dir = fs::create_directories(data_dir, ec);
  if (ec) return IoError("cannot create data directory " + data_dir + ": " + ec.message());
  if (!fs::is_directory(data_dir, ec)) {
    return IoError("data directory " + data_dir + " exists and is not a directory");
  }
  if (created_dir) {
    fs::path parent = fs::absolute(fs::path(data_dir), ec).parent_path();
    if (Status s = SyncDirectory(parent.string()); !s.ok()) return s;
  }

  // One store per directory: the revision counter and the watchers live in the process. flock
  // locks belong to the open file, so this also refuses a second store in this process, and
  // the kernel releases the lock when the process dies, however it dies.
  std::string lock_path = (fs::path(data_dir) / "LOCK").string();
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return ErrnoStatus("cannot create " + lock_path + " (is the data directory writable?)", errno);
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int error = errno;
    ::close(fd);
    if (error == EWOULDBLOCK) {
      return FailedPrecondition("data directory " + data_dir +
                                " is in use by another canaryd store (" + lock_path +
                                " is locked)");
    }
    return ErrnoStatus("cannot lock " + lock_path, error);
  }

  std::unique_ptr<SqliteStore> store(new SqliteStore(data_dir, options, fd));
  if (Status s = store->Init(); !s.ok()) return s;
  return store;
}

SqliteStore::SqliteStore(std::string data_dir, Options options, int lock_fd)
    : data_dir_(std::move(data_dir)), options_(options), lock_fd_(lock_fd) {}

SqliteStore::~SqliteStore() {
  // Close the database (the last connection checkpoints the WAL into the file) before giving up
  // the lock that keeps other stores out.
  reader_.reset();
  writer_.reset();
  ::close(lock_fd_);
}

Status SqliteStore::Init() {
  const std::string path = (fs::path(data_dir_) / kDatabaseFile).string();
  const std::string context = "opening store " + path;

  auto writer = std::make_unique<Writer>();
  Result<SqliteDb> wdb = SqliteDb::Open(path, options_.busy_timeout_ms);
  if (!wdb.ok()) return wdb.status();
  writer->db = std::move(wdb).value();
  // Before anything is written, the schema included. (It does not read the file.)
  if (Status s = sqlite_schema::ConfigureWriter(writer->db); !s.ok()) {
    return WithContext(s, context);
  }
  bool created = false;
  if (Status s = sqlite_schema::Prepare(writer->db, created); !s.ok()) {
    return WithContext(s, context);
  }
  if (created) {
    if (Status s = SyncDirectory(data_dir_); !s.ok()) return s;
  }
  if (options_.verify_on_open && !created) {
    if (Status s = sqlite_schema::QuickCheck(writer->db); !s.ok()) return WithContext(s, context);
  }
  Status s = PrepareAll(
      writer->db,
      {
          {&writer->begin, "BEGIN IMMEDIATE"},
          {&writer->commit, "COMMIT"},
          {&writer->rollback, "ROLLBACK"},
          {&writer->select_object, kSelectObject},
          {&writer->insert_object,
           "INSERT INTO objects (kind, namespace, name, value, create_revision, mod_revision) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"},
          {&writer->update_object,
           "UPDATE objects SET value = ?4, mod_revision = ?5 "
           "WHERE kind = ?1 AND namespace = ?2 AND name = ?3"},
          {&writer->delete_object,
           "DELETE FROM objects WHERE kind = ?1 AND namespace = ?2 AND name = ?3"},
          {&writer->insert_event,
           "INSERT INTO events (revision, type, kind, namespace, name, value, create_revision) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"},
          {&writer->compact_events, "DELETE FROM events WHERE revision <= ?1"},
          {&writer->update_state,
           "UPDATE state SET revision = ?1, compacted_revision = ?2 WHERE id = 0"},
          {&writer->select_state, "SELECT revision, compacted_revision FROM state WHERE id = 0"},
          {&writer->replay,
           "SELECT revision, type, namespace, name, value, create_revision FROM events "
           "WHERE revision > ?1 AND kind = ?2 AND (?3 = '' OR namespace = ?3) "
           "ORDER BY revision"},
      });
  if (!s.ok()) return WithContext(s, context);

  {
    ScopedReset reset(writer->select_state);
    Result<bool> row = writer->select_state.Step();
    if (!row.ok()) return WithContext(row.status(), context);
    if (!*row) return FailedPrecondition(context + ": the state row is missing");
    revision_ = writer->select_state.ColumnInt(0);
    compacted_revision_ = writer->select_state.ColumnInt(1);
  }
  // A smaller history_limit than the last run's takes effect now, not at the next write.
  const int64_t compacted = revision_ - options_.history_limit;
  if (compacted > compacted_revision_) {
    s = writer->begin.Execute();
    if (s.ok()) s = writer->compact_events.Execute(compacted);
    if (s.ok()) s = writer->update_state.Execute(revision_.load(), compacted);
    if (s.ok()) s = writer->commit.Execute();
    if (!s.ok()) return WithContext(s, context);
    compacted_revision_ = compacted;
  }

  auto reader = std::make_unique<Reader>();
  Result<SqliteDb> rdb = SqliteDb::Open(path, options_.busy_timeout_ms);
  if (!rdb.ok()) return rdb.status();
  reader->db = std::move(rdb).value();
  // A guard: this connection only ever reads.
  if (s = reader->db.Exec("PRAGMA query_only = 1"); !s.ok()) return WithContext(s, context);
  s = PrepareAll(reader->db,
                 {
                     {&reader->begin, "BEGIN"},
                     {&reader->commit, "COMMIT"},
                     {&reader->rollback, "ROLLBACK"},
                     {&reader->select_object, kSelectObject},
                     {&reader->list_namespace,
                      "SELECT namespace, name, value, create_revision, mod_revision FROM objects "
                      "WHERE kind = ?1 AND namespace = ?2 ORDER BY namespace, name"},
                     {&reader->list_all,
                      "SELECT namespace, name, value, create_revision, mod_revision FROM objects "
                      "WHERE kind = ?1 ORDER BY namespace, name"},
                     {&reader->select_revision, "SELECT revision FROM state WHERE id = 0"},
                 });
  if (!s.ok()) return WithContext(s, context);

  writer_ = std::move(writer);
  reader_ = std::move(reader);
  return Status::Ok();
}

Result<StoredObject> SqliteStore::Get(const ObjectKey& key) {
  if (Status s = ValidateKey(key); !s.ok()) return s;
  std::lock_guard lock(read_mu_);
  StoredObject object;
  Result<bool> found = ReadObject(reader_->select_object, key, object);
  if (!found.ok()) return found.status();
  if (!*found) return NotFound(Describe(key) + " not found");
  return object;
}

Result<ListResult> SqliteStore::List(const Selector& selector) {
  if (Status s = ValidateSelector(selector); !s.ok()) return s;
  std::lock_guard lock(read_mu_);
  Reader& r = *reader_;
  // One read transaction: the revision and the items come from the same snapshot.
  if (Status s = r.begin.Execute(); !s.ok()) return s;
  ListResult out;
  Status s = [&]() -> Status {
    {
      ScopedReset reset(r.select_revision);
      Result<bool> row = r.select_revision.Step();
      if (!row.ok()) return row.status();
      if (!*row) return Internal("the store's state row is missing");
      out.revision = r.select_revision.ColumnInt(0);
    }
    SqliteStatement& list = selector.namespace_.empty() ? r.list_all : r.list_namespace;
    ScopedReset reset(list);
    list.Bind(1, selector.kind);
    if (!selector.namespace_.empty()) list.Bind(2, selector.namespace_);
    while (true) {
      Result<bool> row = list.Step();
      if (!row.ok()) return row.status();
      if (!*row) return Status::Ok();
      StoredObject& o = out.items.emplace_back();
      o.key.kind = selector.kind;
      o.key.namespace_ = list.ColumnText(0);
      o.key.name = list.ColumnText(1);
      o.value = list.ColumnText(2);
      o.create_revision = list.ColumnInt(3);
      o.mod_revision = list.ColumnInt(4);
    }
  }();
  // Ending a read transaction only releases its snapshot.
  Status end = r.commit.Execute();
  if (!end.ok() && r.db.InTransaction()) (void)r.rollback.Execute();
  if (!s.ok()) return s;
  if (!end.ok()) return end;
  return out;
}

Result<bool> SqliteStore::ReadForWrite(const ObjectKey& key, StoredObject& out) {
  return ReadObject(writer_->select_object, key, out);
}

Status SqliteStore::CheckWritable() const {
  if (failed_.ok()) return failed_;
  return Status(failed_.code(),
                "the store refuses writes until it is reopened, after: " + failed_.message());
}

Result<StoredObject> SqliteStore::Create(const ObjectKey& key, const std::string& value) {
  if (Status s = ValidateKey(key); !s.ok()) return s;
  WriteLock lock(*this);
  if (Status s = lock.status(); !s.ok()) return s;
  if (Status s = CheckWritable(); !s.ok()) return s;
  StoredObject existing;
  Result<bool> found = ReadForWrite(key, existing);
  if (!found.ok()) return found.status();
  if (*found) return AlreadyExists(Describe(key) + " already exists");
  const int64_t revision = revision_ + 1;
  WatchEvent event{EventType::kAdded, StoredObject{key, value, revision, revision}, revision};
  if (Status s = CommitAndDispatch(event); !s.ok()) return s;
  return std::move(event.object);
}

Result<StoredObject> SqliteStore::Update(const ObjectKey& key, const std::string& value,
                                         int64_t expected_mod_revision) {
  if (Status s = ValidateKey(key); !s.ok()) return s;
  WriteLock lock(*this);
  if (Status s = lock.status(); !s.ok()) return s;
  if (Status s = CheckWritable(); !s.ok()) return s;
  StoredObject current;
  Result<bool> found = ReadForWrite(key, current);
  if (!found.ok()) return found.status();
  if (!*found) return NotFound(Describe(key) + " not found");
  if (Status s = CheckRevision(key, current, expected_mod_revision); !s.ok()) return s;
  const int64_t revision = revision_ + 1;
  WatchEvent event{EventType::kModified,
                   StoredObject{key, value, current.create_revision, revision}, revision};
  if (Status s = CommitAndDispatch(event); !s.ok()) return s;
  return std::move(event.object);
}

Result<StoredObject> SqliteStore::Delete(const ObjectKey& key, int64_t expected_mod_revision) {
  if (Status s = ValidateKey(key); !s.ok()) return s;
  WriteLock lock(*this);
  if (Status s = lock.status(); !s.ok()) return s;
  if (Status s = CheckWritable(); !s.ok()) return s;
  StoredObject current;
  Result<bool> found = ReadForWrite(key, current);
  if (!found.ok()) return found.status();
  if (!*found) return NotFound(Describe(key) + " not found");
  if (Status s = CheckRevision(key, current, expected_mod_revision); !s.ok()) return s;
  const int64_t revision = revision_ + 1;
  current.mod_revision = revision;
  WatchEvent event{EventType::kDeleted, std::move(current), revision};
  if (Status s = CommitAndDispatch(event); !s.ok()) return s;
  return std::move(event.object);
}

Status SqliteStore::CommitAndDispatch(const WatchEvent& event) {
  Writer& w = *writer_;
  const StoredObject& o = event.object;
  const ObjectKey& k = o.key;
  // Every write is one event, so keeping the last history_limit revisions keeps at most
  // history_limit events.
  const int64_t compacted =
      std::max(compacted_revision_.load(), event.revision - options_.history_limit);

  Status s = w.begin.Execute();
  if (!s.ok()) return s;
  switch (event.type) {
    case EventType::kAdded:
      s = w.insert_object.Execute(k.kind, k.namespace_, k.name, o.value, o.create_revision,
                                  o.mod_revision);
      break;
    case EventType::kModified:
      s = w.update_object.Execute(k.kind, k.namespace_, k.name, o.value, o.mod_revision);
      break;
    case EventType::kDeleted:
      s = w.delete_object.Execute(k.kind, k.namespace_, k.name);
      break;
  }
  if (s.ok()) {
    s = w.insert_event.Execute(event.revision, ToDb(event.type), k.kind, k.namespace_, k.name,
                               o.value, o.create_revision);
  }
  if (s.ok() && compacted > compacted_revision_) s = w.compact_events.Execute(compacted);
  if (s.ok()) s = w.update_state.Execute(event.revision, compacted);
  if (s.ok()) s = w.commit.Execute();
  if (!s.ok()) {
    if (w.db.InTransaction()) {
      Status r = w.rollback.Execute();
      if (!r.ok()) failed_ = r;
    }
    if (LeavesStateUnknown(s)) failed_ = s;
    return s;
  }

  // Durable from here. Publish the revision before delivering, so that a callback that posts
  // to another thread which reads CurrentRevision sees at least this revision.
  compacted_revision_.store(compacted);
  revision_.store(event.revision);
  hub_.Dispatch(event);
  return Status::Ok();
}

int64_t SqliteStore::CurrentRevision() {
  return revision_.load();
}

int64_t SqliteStore::CompactedRevision() {
  return compacted_revision_.load();
}

Result<std::unique_ptr<WatchHandle>> SqliteStore::Watch(const Selector& selector,
                                                        int64_t after_revision,
                                                        WatchCallback callback) {
  if (Status s = ValidateSelector(selector); !s.ok()) return s;
  if (after_revision < 0) return InvalidArgument("watch from a negative revision");
  if (!callback) return InvalidArgument("watch without a callback");
  auto watcher = std::make_shared<Watcher>(selector, after_revision, std::move(callback));

  // Under the write lock, no commit can fall between the replay and the registration: the
  // history covers up to revision_, live delivery starts at revision_ + 1.
  WriteLock lock(*this);
  if (Status s = lock.status(); !s.ok()) return s;
  const int64_t compacted = compacted_revision_.load();
  if (after_revision < compacted) {
    return Gone("revision " + std::to_string(after_revision) +
                " has been compacted (history starts after revision " + std::to_string(compacted) +
                "); list again and watch from the list's revision");
  }
  if (after_revision < revision_.load()) {
    Writer& w = *writer_;
    ScopedReset reset(w.replay);
    w.replay.Bind(1, after_revision).Bind(2, selector.kind).Bind(3, selector.namespace_);
    while (true) {
      Result<bool> row = w.replay.Step();
      if (!row.ok()) {
        watcher->Cancel();
        return row.status();
      }
      if (!*row) break;
      WatchEvent event;
      event.revision = w.replay.ColumnInt(0);
      switch (w.replay.ColumnInt(1)) {
        case sqlite_schema::kAdded:
          event.type = EventType::kAdded;
          break;
        case sqlite_schema::kModified:
          event.type = EventType::kModified;
          break;
        case sqlite_schema::kDeleted:
          event.type = EventType::kDeleted;
          break;
        default:
          watcher->Cancel();
          return Internal("unknown event type " + std::to_string(w.replay.ColumnInt(1)) +
                          " at revision " + std::to_string(event.revision) + " in " + w.db.path());
      }
      event.object.key = ObjectKey{selector.kind, w.replay.ColumnText(2), w.replay.ColumnText(3)};
      event.object.value = w.replay.ColumnText(4);
      event.object.create_revision = w.replay.ColumnInt(5);
      event.object.mod_revision = event.revision;
      watcher->Deliver(event);
    }
  }
  hub_.Add(watcher);
  return std::unique_ptr<WatchHandle>(std::make_unique<WatcherHandle>(std::move(watcher)));
}

}  // namespace canaryd::store
